#pragma once

// Shared fixture for scheduler driver tests: a SchedulerDriverImpl on a FakeTransport
// and a ManualClock, and a Scheduler that records its callbacks.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler.hpp>

#include "runtime/clock.hpp"
#include "scheduler/fake_transport.hpp"
#include "scheduler/scheduler_driver_impl.hpp"
#include "wire/dispatcher.hpp"

namespace keel::testing {

class RecordingScheduler : public mesos::Scheduler {
 public:
  void registered(mesos::SchedulerDriver* d, const mesos::FrameworkID& id,
                  const mesos::MasterInfo& info) override {
    record("registered");
    std::lock_guard lock(mutex_);
    framework_id = id;
    master_info = info;
    if (on_registered) on_registered(d);
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo& info) override {
    record("reregistered");
    std::lock_guard lock(mutex_);
    master_info = info;
  }
  void disconnected(mesos::SchedulerDriver*) override { record("disconnected"); }
  void resourceOffers(mesos::SchedulerDriver* d,
                      const std::vector<mesos::Offer>& received) override {
    record("resourceOffers");
    std::lock_guard lock(mutex_);
    offers = received;
    if (on_offers) on_offers(d, received);
  }
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID& id) override {
    record("offerRescinded:" + id.value());
  }
  void statusUpdate(mesos::SchedulerDriver* d, const mesos::TaskStatus& status) override {
    record("statusUpdate");
    std::lock_guard lock(mutex_);
    statuses.push_back(status);
    if (on_status) on_status(d, status);
  }
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID& e,
                        const mesos::SlaveID& s, const std::string& data) override {
    record("frameworkMessage:" + e.value() + ":" + s.value() + ":" + data);
  }
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID& id) override {
    record("slaveLost:" + id.value());
  }
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID& e, const mesos::SlaveID& s,
                    int status) override {
    record("executorLost:" + e.value() + ":" + s.value() + ":" + std::to_string(status));
  }
  void error(mesos::SchedulerDriver* d, const std::string& message) override {
    record("error");
    std::lock_guard lock(mutex_);
    error_message = message;
    status_in_error = d->abort();  // returns the status without changing it
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  mutable std::recursive_mutex mutex_;
  mesos::FrameworkID framework_id;
  mesos::MasterInfo master_info;
  std::vector<mesos::Offer> offers;
  std::vector<mesos::TaskStatus> statuses;
  std::string error_message;
  mesos::Status status_in_error = mesos::DRIVER_NOT_STARTED;
  std::function<void(mesos::SchedulerDriver*)> on_registered;
  std::function<void(mesos::SchedulerDriver*, const std::vector<mesos::Offer>&)> on_offers;
  std::function<void(mesos::SchedulerDriver*, const mesos::TaskStatus&)> on_status;

 private:
  void record(const std::string& event) {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  std::vector<std::string> events_;
};

inline const wire::Pid kMaster{"master", "127.0.0.1", 5050};
inline const wire::Pid kAgent{"slave(1)", "127.0.0.1", 5051};

class SchedulerDriverTest : public ::testing::Test {
 protected:
  mesos::FrameworkInfo defaultFramework() {
    mesos::FrameworkInfo info;
    info.set_user("tester");
    info.set_name("test framework");
    info.set_hostname("testhost");
    return info;
  }

  // Builds the driver (not started).
  void makeDriver(mesos::FrameworkInfo info, bool implicit_acks = true,
                  std::vector<std::string> suppressed = {}, std::string master = "127.0.0.1:5050") {
    sched::SchedulerDriverDeps deps;
    deps.clock = &clock_;
    deps.uniform01 = [this] { return fraction_; };
    deps.getenv = [](const std::string&) { return std::optional<std::string>(); };
    deps.make_transport = [this](runtime::EventLoop& loop,
                                 const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
      auto fake = std::make_unique<FakeTransport>(loop);
      transport_ = fake.get();
      return std::unique_ptr<wire::Transport>(std::move(fake));
    };
    driver_ = std::make_unique<sched::SchedulerDriverImpl>(
        nullptr, &scheduler_, info, std::move(suppressed), std::move(master), implicit_acks,
        std::nullopt, std::move(deps));
  }

  // Starts the driver and waits for the first SUBSCRIBE to be sent.
  void start() {
    ASSERT_EQ(mesos::DRIVER_RUNNING, driver_->start());
    settle(*driver_->loop());
  }

  wire::Pid self() const { return wire::Pid{driver_->processId(), "127.0.0.1", 40000}; }

  template <class M>
  wire::Delivery fromMaster(const M& m) {
    return transport_->deliver(wire::makeMessage(kMaster, self(), m));
  }

  // Completes registration with framework id "fw-1".
  void registerFramework() {
    mesos::internal::FrameworkRegisteredMessage m;
    m.mutable_framework_id()->set_value("fw-1");
    m.mutable_master_info()->set_id("master-uuid");
    m.mutable_master_info()->set_ip(0x0100007f);
    m.mutable_master_info()->set_port(5050);
    ASSERT_EQ(wire::Delivery::kAccepted, fromMaster(m));
  }

  std::vector<mesos::scheduler::Call> calls(mesos::scheduler::Call::Type type) {
    std::vector<mesos::scheduler::Call> out;
    for (auto& call : transport_->sentOf<mesos::scheduler::Call>()) {
      if (call.type() == type) {
        out.push_back(call);
      }
    }
    return out;
  }

  void advance(runtime::Duration d) {
    clock_.advance(d);
    settle(*driver_->loop());
  }

  runtime::ManualClock clock_;
  double fraction_ = 1.0;
  RecordingScheduler scheduler_;
  FakeTransport* transport_ = nullptr;
  std::unique_ptr<sched::SchedulerDriverImpl> driver_;
};

}  // namespace keel::testing
