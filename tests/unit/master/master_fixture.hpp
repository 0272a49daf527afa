#pragma once

// The master unit-test fixture: one Master on a fake transport in virtual time, with
// helpers that play an agent and a scheduler message by message.

#include <gtest/gtest.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_transport.hpp"
#include "master/master.hpp"

namespace keel::master {

using mesos::internal::FrameworkErrorMessage;
using mesos::internal::FrameworkRegisteredMessage;
using mesos::internal::KillTaskMessage;
using mesos::internal::ResourceOffersMessage;
using mesos::internal::RunTaskMessage;
using mesos::internal::StatusUpdateMessage;
using mesos::scheduler::Call;
using std::chrono::seconds;

inline mesos::Resource scalar(const std::string& name, double value) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

class MasterTest : public ::testing::Test {
 protected:
  MasterTest() : loop_(clock_) {
    flags_.registry = "in_memory";
    master_ = std::make_unique<Master>(loop_, transport_, flags_);
    master_->start();
    loop_.poll();
  }

  // Advances virtual time and runs whatever became due.
  void advance(runtime::Duration d) {
    clock_.advance(d);
    loop_.poll();
  }

  std::string registerAgent(const wire::Pid& pid = kAgent, double cpus = 4, double mem = 1024) {
    mesos::internal::RegisterSlaveMessage m;
    m.mutable_slave()->set_hostname("agent-host");
    m.mutable_slave()->set_port(pid.port);
    *m.mutable_slave()->add_resources() = scalar("cpus", cpus);
    *m.mutable_slave()->add_resources() = scalar("mem", mem);
    m.set_version("1.12.0");
    EXPECT_EQ(transport_.deliver(pid, "master", m), wire::Delivery::kAccepted);
    loop_.poll();
    auto registered = transport_.take<mesos::internal::SlaveRegisteredMessage>(pid);
    EXPECT_EQ(registered.size(), 1u);
    return registered.empty() ? "" : registered[0].slave_id().value();
  }

  std::string subscribe(const wire::Pid& pid = kScheduler, mesos::FrameworkInfo info = {}) {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    if (!info.has_name()) info.set_name("test");
    if (!info.has_user()) info.set_user("tester");
    if (info.has_id()) *call.mutable_framework_id() = info.id();
    *call.mutable_subscribe()->mutable_framework_info() = info;
    transport_.deliver(pid, "master", call);
    loop_.poll();
    auto registered = transport_.take<FrameworkRegisteredMessage>(pid);
    return registered.empty() ? "" : registered[0].framework_id().value();
  }

  Call call(Call::Type type, const std::string& framework_id) {
    Call c;
    c.set_type(type);
    c.mutable_framework_id()->set_value(framework_id);
    return c;
  }

  std::vector<mesos::Offer> offers(const wire::Pid& pid = kScheduler) {
    std::vector<mesos::Offer> out;
    for (auto& m : transport_.take<ResourceOffersMessage>(pid)) {
      for (auto& o : m.offers()) out.push_back(o);
    }
    return out;
  }

  mesos::TaskInfo commandTask(const std::string& id, const mesos::Offer& offer, double cpus = 1) {
    mesos::TaskInfo t;
    t.set_name(id);
    t.mutable_task_id()->set_value(id);
    *t.mutable_slave_id() = offer.slave_id();
    *t.add_resources() = scalar("cpus", cpus);
    *t.add_resources() = scalar("mem", 64);
    t.mutable_command()->set_value("true");
    return t;
  }

  void launch(const std::string& fid, const mesos::Offer& offer,
              std::vector<mesos::TaskInfo> tasks, double refuse_seconds = 5) {
    Call c = call(Call::ACCEPT, fid);
    *c.mutable_accept()->add_offer_ids() = offer.id();
    auto* op = c.mutable_accept()->add_operations();
    op->set_type(mesos::Offer::Operation::LAUNCH);
    for (auto& t : tasks) *op->mutable_launch()->add_task_infos() = t;
    c.mutable_accept()->mutable_filters()->set_refuse_seconds(refuse_seconds);
    transport_.deliver(kScheduler, "master", c);
    loop_.poll();
  }

  std::vector<mesos::TaskStatus> updates(const wire::Pid& pid = kScheduler) {
    std::vector<mesos::TaskStatus> out;
    for (auto& m : transport_.take<StatusUpdateMessage>(pid)) out.push_back(m.update().status());
    return out;
  }

  void agentUpdate(const std::string& fid, const std::string& aid, const std::string& task_id,
                   mesos::TaskState state, const std::string& uuid) {
    StatusUpdateMessage m;
    auto* u = m.mutable_update();
    u->mutable_framework_id()->set_value(fid);
    u->mutable_slave_id()->set_value(aid);
    u->mutable_status()->mutable_task_id()->set_value(task_id);
    u->mutable_status()->set_state(state);
    u->set_timestamp(1);
    u->set_uuid(uuid);
    m.set_pid(kAgent.str());
    EXPECT_EQ(transport_.deliver(kAgent, "master", m), wire::Delivery::kAccepted);
    loop_.poll();
  }

  static inline const wire::Pid kAgent{"slave(1)", "127.0.0.2", 5051};
  static inline const wire::Pid kScheduler{"scheduler-1", "127.0.0.3", 40000};

  runtime::ManualClock clock_;
  runtime::EventLoop loop_;
  testing::FakeTransport transport_;
  MasterFlags flags_;
  std::unique_ptr<Master> master_;
};

}  // namespace keel::master
