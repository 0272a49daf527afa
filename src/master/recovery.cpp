// The registry and master failover (spec §3.16, §3.17): what a restarted master knows of
// its agents before they come back, and what happens to those that do not.

#include <glog/logging.h>
#include <mesos/internal/registry.pb.h>

#include <cstdlib>

#include "common/strings.hpp"
#include "master/master.hpp"

namespace keel::master {

bool Master::recoverRegistry() {
  std::string kind = flags_.registry;
  if (kind != "in_memory" && !flags_.work_dir) {
    // keel-master's flag checks refuse this; an embedded master (tests, keel-local) may
    // leave it out and gets a registry that does not survive it.
    LOG(WARNING) << "No --work_dir: the registry is kept in memory only";
    kind = "in_memory";
  }
  auto opened = Registrar::open(loop_, kind, flags_.work_dir.value_or(""));
  if (!opened) {
    LOG(ERROR) << "Failed to recover the registry: " << opened.message();
    return false;
  }
  registrar_ = std::move(*opened);
  const mesos::internal::Registry& registry = registrar_->registry();
  for (const auto& slave : registry.slaves().slaves()) {
    recovered_agents_[slave.info().id().value()] = slave.info();
  }
  for (const auto& u : registry.unreachable().slaves()) {
    unreachable_agents_[u.id().value()] = static_cast<double>(u.timestamp().nanoseconds()) / 1e9;
  }
  for (const auto& g : registry.gone().slaves()) {
    gone_agents_[g.id().value()] = static_cast<double>(g.timestamp().nanoseconds()) / 1e9;
  }
  const mesos::MasterInfo info = info_;
  registrar_->apply([info](mesos::internal::Registry& r, Registrar::Index&) {
    *r.mutable_master()->mutable_info() = info;
  });
  if (!recovered_agents_.empty()) {
    LOG(INFO) << "Recovered " << recovered_agents_.size() << " agents, "
              << unreachable_agents_.size() << " unreachable and " << gone_agents_.size()
              << " gone agents from the registry; waiting "
              << runtime::formatDuration(flags_.agent_reregister_timeout)
              << " for the recovered agents to re-register";
    const size_t recovered = recovered_agents_.size();
    after(flags_.agent_reregister_timeout,
                   [this, recovered] { recoveredAgentsTimeout(recovered); });
  }
  return true;
}

void Master::recoveredAgentsTimeout(size_t total) {
  if (recovered_agents_.empty()) {
    return;
  }
  std::string limit_text = flags_.recovery_agent_removal_limit;
  if (strings::endsWith(limit_text, "%")) limit_text.pop_back();
  const double limit = strings::parseDouble(limit_text).value_or(100) / 100.0;
  const double fraction =
      total == 0 ? 1.0 : static_cast<double>(recovered_agents_.size()) / static_cast<double>(total);
  if (fraction > limit) {
    LOG(ERROR) << "Refusing to mark " << recovered_agents_.size() << " of " << total
               << " recovered agents unreachable: more than the "
               << flags_.recovery_agent_removal_limit
               << " allowed by --recovery_agent_removal_limit; the master exits";
    std::exit(EXIT_FAILURE);
  }
  auto lost = std::move(recovered_agents_);
  recovered_agents_.clear();
  for (const auto& [id, info] : lost) {
    LOG(WARNING) << "Agent " << id << " (" << info.hostname() << ") did not re-register within "
                 << runtime::formatDuration(flags_.agent_reregister_timeout)
                 << " of the master's recovery; marking it unreachable";
    unreachable_agents_[id] = now();
    registrar_->apply(Registrar::markUnreachable(id, now()));
    mesos::internal::LostSlaveMessage message;
    message.mutable_slave_id()->set_value(id);
    for (const auto& [fid, framework] : frameworks_) {
      if (framework->connected) send(framework->pid, message);
    }
  }
}

bool Master::awaitingRecoveredAgent(const std::string& agent_id) const {
  if (agent_id.empty()) {
    return !recovered_agents_.empty();
  }
  return recovered_agents_.count(agent_id) > 0;
}

}  // namespace keel::master
