#pragma once

// A simulated v0 framework, process "scheduler-N" on the simulation's transport: it
// subscribes with mesos.scheduler.Call, takes ResourceOffersMessages and StatusUpdateMessages,
// and acknowledges every update that carries a uuid before telling the scenario. Loop
// thread only, except the counters.

#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "common.hpp"
#include "wire/transport.hpp"

namespace keel::bench {

class SimFramework {
 public:
  SimFramework(wire::Transport& transport, Notifier& notifier, int index, wire::Pid master);
  ~SimFramework();

  // SUBSCRIBE (with the framework id once known, i.e. a failover re-subscription).
  void subscribe();
  void setMaster(const wire::Pid& master) { master_ = master; }

  void accept(const std::vector<mesos::OfferID>& offers, std::vector<mesos::TaskInfo> tasks,
              double refuse_seconds);
  void decline(const std::vector<mesos::OfferID>& offers, double refuse_seconds);
  void kill(const mesos::TaskID& task, const mesos::SlaveID& agent);
  void suppress();  // no more offers until revived

  const std::string& id() const { return id_; }
  const mesos::FrameworkInfo& info() const { return info_; }
  const wire::Pid& pid() const { return pid_; }

  std::function<void(std::vector<mesos::Offer>&&)> on_offers;
  // After the update was acknowledged (when it had a uuid).
  std::function<void(const mesos::TaskStatus&)> on_update;
  std::function<void()> on_subscribed;

  std::atomic<bool> subscribed{false};
  std::atomic<size_t> offers_received{0};
  std::atomic<size_t> updates{0};
  std::string error;  // the last FrameworkErrorMessage

 private:
  wire::Delivery receive(wire::Message&& msg);
  void call(mesos::scheduler::Call& call);

  wire::Transport& transport_;
  Notifier& notifier_;
  std::string process_;
  wire::Pid pid_;
  wire::Pid master_;
  std::string id_;
  mesos::FrameworkInfo info_;
};

}  // namespace keel::bench
