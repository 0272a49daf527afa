#include "sim_framework.hpp"

#include "wire/dispatcher.hpp"

namespace keel::bench {

SimFramework::SimFramework(wire::Transport& transport, Notifier& notifier, int index,
                           wire::Pid master)
    : transport_(transport),
      notifier_(notifier),
      process_("scheduler-" + std::to_string(index)),
      master_(std::move(master)) {
  pid_ = transport_.pidOf(process_);
  info_.set_user("bench");
  info_.set_name("keel-bench-" + std::to_string(index));
  info_.set_failover_timeout(3600);
  transport_.addProcess(
      process_,
      wire::ProcessHandlers{[this](wire::Message&& m) { return receive(std::move(m)); }, nullptr});
}

SimFramework::~SimFramework() { transport_.removeProcess(process_); }

void SimFramework::call(mesos::scheduler::Call& c) {
  if (!id_.empty()) c.mutable_framework_id()->set_value(id_);
  transport_.send(wire::makeMessage(pid_, master_, c));
}

void SimFramework::subscribe() {
  mesos::scheduler::Call c;
  c.set_type(mesos::scheduler::Call::SUBSCRIBE);
  *c.mutable_subscribe()->mutable_framework_info() = info_;
  if (!id_.empty()) c.mutable_subscribe()->set_force(true);
  call(c);
}

void SimFramework::accept(const std::vector<mesos::OfferID>& offers,
                          std::vector<mesos::TaskInfo> tasks, double refuse_seconds) {
  mesos::scheduler::Call c;
  c.set_type(mesos::scheduler::Call::ACCEPT);
  auto* a = c.mutable_accept();
  for (const auto& o : offers) *a->add_offer_ids() = o;
  if (!tasks.empty()) {
    auto* op = a->add_operations();
    op->set_type(mesos::Offer::Operation::LAUNCH);
    for (auto& t : tasks) *op->mutable_launch()->add_task_infos() = std::move(t);
  }
  a->mutable_filters()->set_refuse_seconds(refuse_seconds);
  call(c);
}

void SimFramework::decline(const std::vector<mesos::OfferID>& offers, double refuse_seconds) {
  if (offers.empty()) return;
  mesos::scheduler::Call c;
  c.set_type(mesos::scheduler::Call::DECLINE);
  for (const auto& o : offers) *c.mutable_decline()->add_offer_ids() = o;
  c.mutable_decline()->mutable_filters()->set_refuse_seconds(refuse_seconds);
  call(c);
}

void SimFramework::suppress() {
  mesos::scheduler::Call c;
  c.set_type(mesos::scheduler::Call::SUPPRESS);
  call(c);
}

void SimFramework::kill(const mesos::TaskID& task, const mesos::SlaveID& agent) {
  mesos::scheduler::Call c;
  c.set_type(mesos::scheduler::Call::KILL);
  *c.mutable_kill()->mutable_task_id() = task;
  *c.mutable_kill()->mutable_slave_id() = agent;
  call(c);
}

wire::Delivery SimFramework::receive(wire::Message&& msg) {
  const std::string& name = msg.name;
  if (name == "mesos.internal.FrameworkRegisteredMessage" ||
      name == "mesos.internal.FrameworkReregisteredMessage") {
    mesos::internal::FrameworkRegisteredMessage m;  // the same fields 1 and 2 in both
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    id_ = m.framework_id().value();
    *info_.mutable_id() = m.framework_id();
    subscribed = true;
    if (on_subscribed) on_subscribed();
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.ResourceOffersMessage") {
    mesos::internal::ResourceOffersMessage m;
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    offers_received += static_cast<size_t>(m.offers_size());
    std::vector<mesos::Offer> offers;
    offers.reserve(static_cast<size_t>(m.offers_size()));
    for (auto& o : *m.mutable_offers()) offers.push_back(std::move(o));
    if (on_offers) {
      on_offers(std::move(offers));
    } else {
      std::vector<mesos::OfferID> ids;
      for (const auto& o : offers) ids.push_back(o.id());
      decline(ids, 3600);
    }
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.StatusUpdateMessage") {
    mesos::internal::StatusUpdateMessage m;
    if (!m.ParseFromString(msg.body)) return wire::Delivery::kMalformed;
    const auto& u = m.update();
    if (u.has_uuid() && !u.uuid().empty()) {
      mesos::scheduler::Call c;
      c.set_type(mesos::scheduler::Call::ACKNOWLEDGE);
      auto* ack = c.mutable_acknowledge();
      *ack->mutable_slave_id() = u.status().slave_id();
      *ack->mutable_task_id() = u.status().task_id();
      ack->set_uuid(u.uuid());
      call(c);
    }
    updates++;
    if (on_update) on_update(u.status());
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  if (name == "mesos.internal.FrameworkErrorMessage") {
    mesos::internal::FrameworkErrorMessage m;
    if (m.ParseFromString(msg.body)) error = m.message();
    notifier_.notify();
    return wire::Delivery::kAccepted;
  }
  return wire::Delivery::kAccepted;  // rescinds, lost agents, ...: not needed here
}

}  // namespace keel::bench
