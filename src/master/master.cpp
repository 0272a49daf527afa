#include "master/master.hpp"

#include <cstdlib>

#include <arpa/inet.h>
#include <glog/logging.h>
#include <mesos/authentication/authentication.pb.h>
#include <netdb.h>

#include "allocator/allocator.hpp"
#include "common/ids.hpp"
#include "master/state_worker.hpp"
#include "wire/parse_ahead.hpp"

namespace keel::master {

namespace {

// Agents' (re-)registrations from this size on are parsed off the loop: one carrying ten tasks
// is about 2 KiB, an agent without tasks a few hundred bytes.
constexpr size_t kParseAheadBytes = 1024;

// The name of an IPv4 address (as Mesos advertises its hostname), or the address itself.
std::string reverseLookup(const std::string& ip) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    return ip;
  }
  char host[NI_MAXHOST] = {};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), sizeof addr, host, sizeof host, nullptr, 0,
                  NI_NAMEREQD) != 0) {
    return ip;
  }
  return host;
}

}  // namespace

bool FrameworkState::hasCapability(mesos::FrameworkInfo::Capability::Type type) const {
  for (const auto& c : info.capabilities()) {
    if (c.type() == type) {
      return true;
    }
  }
  return false;
}

void FrameworkState::addCompleted(mesos::Task&& task, size_t limit) {
  const bool in_step = completed_json.size() == completed_tasks.size();
  completed_tasks.push_back(std::move(task));
  if (in_step) {
    completed_json.emplace_back();
  } else {
    completed_json.clear();
  }
  while (completed_tasks.size() > limit) {
    completed_tasks.pop_front();
    if (!completed_json.empty()) completed_json.pop_front();
  }
}

bool FrameworkState::partitionAware() const {
  return hasCapability(mesos::FrameworkInfo::Capability::PARTITION_AWARE);
}

std::vector<std::string> rolesOf(const mesos::FrameworkInfo& info) {
  for (const auto& c : info.capabilities()) {
    if (c.type() == mesos::FrameworkInfo::Capability::MULTI_ROLE) {
      return {info.roles().begin(), info.roles().end()};
    }
  }
  return {info.role()};
}

std::vector<std::string> FrameworkState::roles() const { return rolesOf(info); }

void Master::start() {
  self_ = transport_.pidOf("master");
  start_time_ = now();

  info_.set_id(uuidString());
  info_.set_ip(wire::packIp(self_.ip));
  info_.set_port(self_.port);
  info_.set_pid(self_.str());
  info_.set_hostname(flags_.hostname ? *flags_.hostname
                     : flags_.hostname_lookup ? reverseLookup(self_.ip)
                                              : self_.ip);
  info_.set_version(KEEL_MESOS_VERSION);
  auto* address = info_.mutable_address();
  address->set_hostname(info_.hostname());
  address->set_ip(self_.ip);
  address->set_port(self_.port);
  info_.add_capabilities()->set_type(mesos::MasterInfo::Capability::AGENT_UPDATE);
  info_.add_capabilities()->set_type(mesos::MasterInfo::Capability::AGENT_DRAINING);
  info_.add_capabilities()->set_type(mesos::MasterInfo::Capability::QUOTA_V2);

  allocator::Options options;
  options.allocation_interval = flags_.allocation_interval;
  if (auto parsed = allocator::Options::parseMinAllocatable(flags_.min_allocatable_resources)) {
    options.min_allocatable = *parsed;
  } else {
    LOG(WARNING) << "Ignoring invalid --min_allocatable_resources: " << parsed.message();
  }
  allocator_ = std::make_unique<allocator::Allocator>(options);

  if (!recoverRegistry()) {
    LOG(ERROR) << "The master cannot start without its registry";
    std::exit(EXIT_FAILURE);
  }
  initializeAuthentication();
  installHandlers();
  transport_.addProcess("master", wire::ProcessHandlers{
                                      [this](wire::Message&& m) { return receive(std::move(m)); },
                                      [this](const wire::Pid& pid) { exited(pid); }});
  transport_.setDelegate("master");
  installEndpoints();

  // The periodic allocation pass (spec §4.1); event-driven passes come on top.
  after(flags_.allocation_interval, [this] { allocationTick(); });

  LOG(INFO) << "Keel master " << info_.id() << " started at " << self_.str();
}

runtime::TimerId Master::after(runtime::Duration delay, std::function<void()> fn) {
  return loop_.schedule(delay, gated(std::move(fn)));
}

void Master::defer(std::function<void()> fn) { loop_.post(gated(std::move(fn))); }

std::function<void()> Master::gated(std::function<void()> fn) {
  return [this, alive = std::weak_ptr<char>(alive_), fn = std::move(fn)]() mutable {
    if (alive.lock()) gate_->run(std::move(fn));
  };
}

void Master::allocationTick() {
  allocate();
  after(flags_.allocation_interval, [this] { allocationTick(); });
}

wire::Delivery Master::receive(wire::Message&& msg) {
  if (parse_ahead_->take(msg)) return wire::Delivery::kAccepted;  // answered like libprocess
  return dispatchNow(std::move(msg));
}

void Master::waitParsed() { parse_ahead_->waitParsed(); }

wire::Delivery Master::dispatchNow(wire::Message&& msg) {
  std::string name = msg.name;
  wire::Delivery result = dispatcher_.dispatch(std::move(msg));
  if (result == wire::Delivery::kAccepted) {
    metrics_.messages[name]++;
  } else {
    metrics_.dropped_messages++;
    LOG(WARNING) << "Dropping " << name << ": "
                 << (result == wire::Delivery::kMalformed ? "malformed body" : "unknown message");
  }
  return result;
}

void Master::installHandlers() {
  using namespace mesos::internal;
  auto& d = dispatcher_;

  // The loop is handed the parsing thread's results through the model gate, like any other
  // continuation of the master.
  auto post = [this, alive = std::weak_ptr<char>(alive_)](std::function<void()> fn) {
    loop_.post([this, alive, fn = std::move(fn)]() mutable {
      if (alive.lock()) gate_->run(std::move(fn));
    });
  };
  parse_ahead_ = std::make_unique<wire::ParseAhead>(
      std::move(post), [this](wire::Message&& m) { dispatchNow(std::move(m)); },
      [this](const wire::Message& m) {
        metrics_.dropped_messages++;
        LOG(WARNING) << "Dropping " << m.name << " from " << m.from.str() << ": malformed body";
      },
      kParseAheadBytes);
  // Handled the same whether parsed here or ahead.
  auto both = [this, &d]<class M>(std::function<void(const wire::Pid&, M&&)> handler) {
    d.on<M>(handler);
    parse_ahead_->on<M>([this, handler, name = M::default_instance().GetTypeName()](
                            const wire::Pid& from, M&& m) {
      metrics_.messages[name]++;
      handler(from, std::move(m));
    });
  };

  d.on<mesos::scheduler::Call>(
      [this](const wire::Pid& from, mesos::scheduler::Call&& call) { handleCall(from, std::move(call)); });

  // Legacy framework messages, translated into the Call they stand for (spec §3.2).
  d.on<RegisterFrameworkMessage>([this](const wire::Pid& from, RegisterFrameworkMessage&& m) {
    if (m.framework().has_id() && !m.framework().id().value().empty()) {
      frameworkError(from, "Registering with 'id' already set");
      return;
    }
    subscribe(from, m.framework(), false, {});
  });
  d.on<ReregisterFrameworkMessage>([this](const wire::Pid& from, ReregisterFrameworkMessage&& m) {
    if (!m.framework().has_id() || m.framework().id().value().empty()) {
      frameworkError(from, "Re-registering without an 'id'");
      return;
    }
    subscribe(from, m.framework(), m.failover(), {});
  });
  d.on<UnregisterFrameworkMessage>([this](const wire::Pid& from, UnregisterFrameworkMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      removeFramework(*f);
    }
  });
  d.on<DeactivateFrameworkMessage>([this](const wire::Pid& from, DeactivateFrameworkMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      deactivateFramework(*f, true);
    }
  });
  d.on<ResourceRequestMessage>([this](const wire::Pid& from, ResourceRequestMessage&& m) {
    // The DRF allocator ignores requests, as Mesos's does.
    frameworkFrom(from, m.framework_id().value());
  });
  d.on<LaunchTasksMessage>([this](const wire::Pid& from, LaunchTasksMessage&& m) {
    FrameworkState* f = frameworkFrom(from, m.framework_id().value());
    if (f == nullptr) {
      return;
    }
    mesos::scheduler::Call::Accept a;
    *a.mutable_offer_ids() = m.offer_ids();
    if (m.tasks_size() > 0) {
      auto* op = a.add_operations();
      op->set_type(mesos::Offer::Operation::LAUNCH);
      *op->mutable_launch()->mutable_task_infos() = m.tasks();
    }
    *a.mutable_filters() = m.filters();
    accept(*f, std::move(a));
  });
  d.on<ReviveOffersMessage>([this](const wire::Pid& from, ReviveOffersMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      mesos::scheduler::Call call;
      call.set_type(mesos::scheduler::Call::REVIVE);
      *call.mutable_framework_id() = m.framework_id();
      *call.mutable_revive()->mutable_roles() = m.roles();
      handleCall(f->pid, std::move(call));
    }
  });
  d.on<KillTaskMessage>([this](const wire::Pid& from, KillTaskMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      kill(*f, m.task_id().value(), "", nullptr);
    }
  });
  d.on<StatusUpdateAcknowledgementMessage>(
      [this](const wire::Pid& from, StatusUpdateAcknowledgementMessage&& m) {
        if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
          acknowledge(*f, m.slave_id().value(), m.task_id().value(), m.uuid());
        }
      });
  d.on<FrameworkToExecutorMessage>([this](const wire::Pid& from, FrameworkToExecutorMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      frameworkToExecutor(*f, m.slave_id().value(), m.executor_id().value(), m.data());
    }
  });
  d.on<ReconcileTasksMessage>([this](const wire::Pid& from, ReconcileTasksMessage&& m) {
    if (FrameworkState* f = frameworkFrom(from, m.framework_id().value())) {
      reconcile(*f, {m.statuses().begin(), m.statuses().end()});
    }
  });

  // Agents.
  both(std::function<void(const wire::Pid&, RegisterSlaveMessage&&)>(
      [this](const wire::Pid& from, RegisterSlaveMessage&& m) {
        registerAgent(from, std::move(m));
      }));
  both(std::function<void(const wire::Pid&, ReregisterSlaveMessage&&)>(
      [this](const wire::Pid& from, ReregisterSlaveMessage&& m) {
        reregisterAgent(from, std::move(m));
      }));
  d.on<UnregisterSlaveMessage>([this](const wire::Pid& from, UnregisterSlaveMessage&& m) {
    unregisterAgent(from, m.slave_id().value());
  });
  d.on<StatusUpdateMessage>([this](const wire::Pid& from, StatusUpdateMessage&& m) {
    statusUpdate(from, std::move(m));
  });
  d.on<ExitedExecutorMessage>([this](const wire::Pid& from, ExitedExecutorMessage&& m) {
    exitedExecutor(from, std::move(m));
  });
  d.on<ExecutorToFrameworkMessage>([this](const wire::Pid& from, ExecutorToFrameworkMessage&& m) {
    executorToFramework(from, std::move(m));
  });
  d.on<UpdateSlaveMessage>([this](const wire::Pid& from, UpdateSlaveMessage&& m) {
    updateAgent(from, std::move(m));
  });
  d.on<AuthenticateMessage>([this](const wire::Pid& from, AuthenticateMessage&& m) {
    auto pid = wire::Pid::parse(m.pid());
    if (!pid || pid->empty()) {
      LOG(WARNING) << "Dropping AuthenticateMessage from " << from.str() << " with invalid pid '"
                   << m.pid() << "'";
      return;
    }
    authenticate(from, *pid);
  });

  observer_dispatcher_.onRaw(PongSlaveMessage::default_instance().GetTypeName(),
                             [](wire::Message&&) { return wire::Delivery::kAccepted; });
}

void Master::exited(const wire::Pid& pid) {
  // After the messages that came before it.
  std::function<void()> later = [this, pid] { exitedNow(pid); };
  if (!parse_ahead_->queue(later)) exitedNow(pid);
}

void Master::exitedNow(const wire::Pid& pid) {
  forgetAuthentication(pid);
  for (auto& [id, framework] : frameworks_) {
    if (framework->pid == pid && framework->connected) {
      LOG(INFO) << "Framework " << id << " at " << pid.str() << " disconnected";
      disconnectFramework(*framework);
      return;
    }
  }
  if (AgentState* agent = agentByPid(pid)) {
    if (agent->connected) {
      LOG(INFO) << "Agent " << agent->id() << " at " << pid.str() << " disconnected";
      disconnectAgent(*agent);
    }
  }
}

}  // namespace keel::master
