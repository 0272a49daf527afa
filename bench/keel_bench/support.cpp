#include "support.hpp"

#include <sys/vfs.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/resources.hpp"

namespace keel::bench {

Result<std::vector<mesos::Resource>> parseResources(const std::string& text) {
  auto parsed = Resources::parse(text);
  if (!parsed) return Status::error("resources '" + text + "': " + parsed.message());
  return std::vector<mesos::Resource>(parsed->begin(), parsed->end());
}

double scalarOf(const google::protobuf::RepeatedPtrField<mesos::Resource>& resources,
                const std::string& name) {
  double sum = 0;
  for (const auto& r : resources) {
    if (r.name() == name && r.type() == mesos::Value::SCALAR) sum += r.scalar().value();
  }
  return sum;
}

Result<std::unique_ptr<Bench>> Bench::create(const Options& options) {
  std::unique_ptr<Bench> b(new Bench());
  b->options_ = options;
  b->deadline_ = Clock::now() + options.timeout;
  auto resources = parseResources(options.agent_resources);
  if (!resources) return resources.status();
  auto h = Harness::create(options);
  if (!h) return h.status();
  b->harness_ = std::move(*h);
  Bench* raw = b.get();
  onLoop(b->loop(), [raw, &resources] {
    raw->agents_ = std::make_unique<SimAgents>(raw->harness_->transport(),
                                               raw->harness_->notifier(), *resources);
  });
  return b;
}

Bench::~Bench() {
  onLoop(loop(), [this] {
    frameworks_.clear();
    agents_.reset();
  });
  harness_.reset();
}

Status Bench::wait(const std::string& what, const std::function<bool()>& pred,
                   const std::function<std::string()>& progress) {
  if (harness_->notifier().waitFor(what, pred, progress, deadline_)) return Status::ok();
  return Status::error("timed out waiting for " + what + " (" + progress() + ")");
}

Status Bench::registerAgents(int n) {
  const size_t want = agents_->size() + static_cast<size_t>(n);
  const wire::Pid master = harness_->masterPid();
  onLoop(loop(), [this, n, master] { agents_->start(n, master); });
  SimAgents* a = agents_.get();
  return wait(
      "agents registered", [a, want] { return a->registered.load() >= want; },
      [a, want] {
        return std::to_string(a->registered.load()) + "/" + std::to_string(want) +
               " agents registered";
      });
}

Status Bench::subscribeFrameworks(int m, std::function<void(SimFramework&, int)> setup) {
  const size_t first = frameworks_.size();
  const wire::Pid master = harness_->masterPid();
  onLoop(loop(), [this, m, first, master] {
    for (int i = 0; i < m; ++i) {
      frameworks_.push_back(std::make_unique<SimFramework>(
          harness_->transport(), harness_->notifier(), static_cast<int>(first) + i + 1, master));
    }
  });
  std::vector<SimFramework*> fws;
  for (size_t i = first; i < frameworks_.size(); ++i) fws.push_back(frameworks_[i].get());
  onLoop(loop(), [&fws, &setup, first] {
    for (size_t i = 0; i < fws.size(); ++i) {
      if (setup) setup(*fws[i], static_cast<int>(first + i) + 1);
      fws[i]->subscribe();
    }
  });
  auto count = [fws] {
    size_t n = 0;
    for (auto* f : fws) n += f->subscribed.load() ? 1 : 0;
    return n;
  };
  return wait(
      "frameworks subscribed", [count, m] { return count() == static_cast<size_t>(m); },
      [count, m] {
        return std::to_string(count()) + "/" + std::to_string(m) + " frameworks subscribed";
      });
}

std::optional<double> metricValue(const std::string& json, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  size_t at = json.find(quoted);
  if (at == std::string::npos) return std::nullopt;
  at = json.find(':', at + quoted.size());
  if (at == std::string::npos) return std::nullopt;
  const char* begin = json.c_str() + at + 1;
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end == begin) return std::nullopt;
  return v;
}

std::string masterParam(Bench& bench) {
  return bench.harness().inProcess() ? "in-process " + bench.harness().masterAddress()
                                     : bench.harness().masterAddress();
}

size_t socketsInTimeWait() {
  size_t count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      // "  sl  local_address rem_address   st ...": the fourth column is the state, 06 here.
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      if (fields >> slot >> local >> remote >> state && state == "06") ++count;
    }
  }
  return count;
}

std::string fileSystemType(const std::string& dir) {
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53UL:
      return "ext4";
    case 0x01021994UL:
      return "tmpfs";
    case 0x58465342UL:
      return "xfs";
    case 0x9123683EUL:
      return "btrfs";
    case 0x794c7630UL:
      return "overlayfs";
    default: {
      std::ostringstream hex;
      hex << "0x" << std::hex << static_cast<unsigned long>(fs.f_type);
      return hex.str();
    }
  }
}

Status Bench::waitForLaunch(Launcher& launcher) {
  Launcher* l = &launcher;
  const size_t target = launcher.target();
  Status s = wait(
      "tasks running", [l, target] { return l->running.load() + l->failed.load() >= target; },
      [l, target] {
        return std::to_string(l->running.load()) + "/" + std::to_string(target) +
               " tasks running, " + std::to_string(l->failed.load()) + " failed";
      });
  if (!s.isOk()) return s;
  if (l->failed.load() > 0) {
    return Status::error(std::to_string(l->failed.load()) + " tasks did not reach TASK_RUNNING");
  }
  return Status::ok();
}

void Launcher::install(SimFramework& framework, int index) {
  SimFramework* f = &framework;
  framework.on_offers = [this, f, index](std::vector<mesos::Offer>&& offers) {
    for (const auto& offer : offers) {
      size_t fits = target_ - issued_;
      for (const auto& r : task_resources_) {
        if (r.type() != mesos::Value::SCALAR || r.scalar().value() <= 0) continue;
        double have = scalarOf(offer.resources(), r.name());
        fits = std::min(fits, static_cast<size_t>(std::floor(have / r.scalar().value() + 1e-9)));
      }
      if (fits == 0) {
        f->decline({offer.id()}, 3600);
        continue;
      }
      std::vector<mesos::TaskInfo> tasks;
      auto now = Clock::now();
      if (!started_) {
        started_ = true;
        first_accept = now;
      }
      for (size_t i = 0; i < fits; ++i) {
        mesos::TaskInfo t;
        const std::string id = "task-" + std::to_string(index) + "-" + std::to_string(next_task_++);
        t.set_name(id);
        t.mutable_task_id()->set_value(id);
        *t.mutable_slave_id() = offer.slave_id();
        for (const auto& r : task_resources_) *t.add_resources() = r;
        t.mutable_command()->set_value("true");
        accepted_at_[id] = now;
        tasks.push_back(std::move(t));
      }
      issued_ += fits;
      f->accept({offer.id()}, std::move(tasks), 3600);
    }
  };
  framework.on_update = [this](const mesos::TaskStatus& status) {
    auto it = accepted_at_.find(status.task_id().value());
    if (it == accepted_at_.end()) return;
    if (status.state() == mesos::TASK_RUNNING) {
      auto now = Clock::now();
      latencies_ms.push_back(msBetween(it->second, now));
      accepted_at_.erase(it);
      if (++running == target_) last_running = now;
    } else if (status.state() != mesos::TASK_STAGING && status.state() != mesos::TASK_STARTING) {
      accepted_at_.erase(it);
      failed++;
    }
  };
}

}  // namespace keel::bench
