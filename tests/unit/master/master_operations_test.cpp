// Unit tests of the speculative offer operations (RESERVE, UNRESERVE, CREATE, DESTROY):
// what the agent is told, what later offers hold, and which invalid operations are
// dropped while the rest of the ACCEPT goes on.

#include <gtest/gtest.h>

#include "common/resource_conversions.hpp"
#include "master_fixture.hpp"

namespace keel::master {
namespace {

using mesos::internal::CheckpointResourcesMessage;
using Op = mesos::Offer::Operation;

mesos::Resource reservedScalar(const std::string& name, double value, const std::string& role,
                               const std::string& principal = "") {
  mesos::Resource r = scalar(name, value);
  auto* reservation = r.add_reservations();
  reservation->set_type(mesos::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role(role);
  if (!principal.empty()) reservation->set_principal(principal);
  return r;
}

mesos::Resource volume(double size, const std::string& role, const std::string& id) {
  mesos::Resource r = reservedScalar("disk", size, role);
  r.mutable_disk()->mutable_persistence()->set_id(id);
  r.mutable_disk()->mutable_volume()->set_container_path("data");
  r.mutable_disk()->mutable_volume()->set_mode(mesos::Volume::RW);
  return r;
}

class OperationsTest : public MasterTest {
 protected:
  std::string registerAgentWithDisk(const std::vector<mesos::Resource>& checkpointed = {}) {
    mesos::internal::RegisterSlaveMessage m;
    m.mutable_slave()->set_hostname("agent-host");
    m.mutable_slave()->set_port(kAgent.port);
    *m.mutable_slave()->add_resources() = scalar("cpus", 4);
    *m.mutable_slave()->add_resources() = scalar("mem", 1024);
    *m.mutable_slave()->add_resources() = scalar("disk", 1000);
    for (const auto& r : checkpointed) *m.add_checkpointed_resources() = r;
    m.set_version("1.12.0");
    transport_.deliver(kAgent, "master", m);
    loop_.poll();
    auto registered = transport_.take<mesos::internal::SlaveRegisteredMessage>(kAgent);
    return registered.empty() ? "" : registered[0].slave_id().value();
  }

  std::string subscribeAs(const std::string& role, const std::string& principal = "") {
    mesos::FrameworkInfo info;
    info.set_role(role);
    if (!principal.empty()) info.set_principal(principal);
    return subscribe(kScheduler, info);
  }

  void accept(const std::string& fid, const mesos::Offer& offer, std::vector<Op> ops,
              double refuse_seconds = 0) {
    Call c = call(Call::ACCEPT, fid);
    *c.mutable_accept()->add_offer_ids() = offer.id();
    for (auto& op : ops) *c.mutable_accept()->add_operations() = op;
    c.mutable_accept()->mutable_filters()->set_refuse_seconds(refuse_seconds);
    transport_.deliver(kScheduler, "master", c);
    loop_.poll();
  }

  // The next offer after the allocation interval.
  std::optional<mesos::Offer> nextOffer() {
    advance(std::chrono::seconds(1));
    auto o = offers();
    if (o.size() != 1) return std::nullopt;
    return o[0];
  }

  std::vector<Resources> checkpoints() {
    std::vector<Resources> out;
    for (auto& m : transport_.take<CheckpointResourcesMessage>(kAgent)) {
      out.emplace_back(m.resources());
    }
    return out;
  }
};

Op reserve(std::vector<mesos::Resource> resources) {
  Op op;
  op.set_type(Op::RESERVE);
  for (auto& r : resources) *op.mutable_reserve()->add_resources() = r;
  return op;
}

Op unreserve(std::vector<mesos::Resource> resources) {
  Op op;
  op.set_type(Op::UNRESERVE);
  for (auto& r : resources) *op.mutable_unreserve()->add_resources() = r;
  return op;
}

Op create(std::vector<mesos::Resource> volumes) {
  Op op;
  op.set_type(Op::CREATE);
  for (auto& r : volumes) *op.mutable_create()->add_volumes() = r;
  return op;
}

Op destroy(std::vector<mesos::Resource> volumes) {
  Op op;
  op.set_type(Op::DESTROY);
  for (auto& r : volumes) *op.mutable_destroy()->add_volumes() = r;
  return op;
}

// Ensures a RESERVE is checkpointed on the agent and the reserved resources come back in
// the next offer, beside the unreserved rest, without waiting for the decline filter.
TEST_F(OperationsTest, ReserveIsCheckpointedAndOffered) {
  registerAgentWithDisk();
  std::string fid = subscribeAs("eng");
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  accept(fid, o[0], {reserve({reservedScalar("cpus", 1, "eng"), reservedScalar("mem", 64, "eng")})},
         /*refuse_seconds=*/60);
  EXPECT_TRUE(updates().empty());

  auto cp = checkpoints();
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_DOUBLE_EQ(cp[0].reserved("eng").cpus().value_or(0), 1);
  EXPECT_DOUBLE_EQ(cp[0].reserved("eng").mem().value_or(0), 64);
  EXPECT_TRUE(cp[0].unreserved().empty());

  // The reservation returns at once, without the 60 s filter of the declined rest; as in
  // Mesos, a filter holds back only offers it covers whole, so the rest comes with it.
  auto next = nextOffer();
  ASSERT_TRUE(next.has_value());
  Resources offered(next->resources());
  EXPECT_DOUBLE_EQ(offered.reserved("eng").cpus().value_or(0), 1);
  EXPECT_DOUBLE_EQ(offered.reserved("eng").mem().value_or(0), 64);
  EXPECT_DOUBLE_EQ(offered.unreserved().cpus().value_or(0), 3);
}

// Ensures a task can be launched on resources reserved earlier in the same ACCEPT, and
// that the RunTaskMessage carries the reserved resources.
TEST_F(OperationsTest, ReserveThenLaunchInOneAccept) {
  registerAgentWithDisk();
  std::string fid = subscribeAs("eng");
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  mesos::TaskInfo task = commandTask("t1", o[0]);
  task.clear_resources();
  *task.add_resources() = reservedScalar("cpus", 1, "eng");
  *task.add_resources() = reservedScalar("mem", 64, "eng");
  Op launch;
  launch.set_type(Op::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = task;
  accept(fid, o[0],
         {reserve({reservedScalar("cpus", 1, "eng"), reservedScalar("mem", 64, "eng")}), launch});
  EXPECT_TRUE(updates().empty());
  auto runs = transport_.take<mesos::internal::RunTaskMessage>(kAgent);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(runs[0].task().resources()).reserved("eng").cpus().value_or(0), 1);
}

// Ensures invalid reservations are dropped (nothing checkpointed) and the offer's
// resources return: a framework of role "*", a role the framework does not have, a
// principal that does not match, more than offered, and a static reservation.
TEST_F(OperationsTest, InvalidReservationsAreDropped) {
  registerAgentWithDisk();
  std::string fid = subscribeAs("eng", "alice");
  std::vector<Op> invalid = {
      reserve({reservedScalar("cpus", 1, "other", "alice")}),
      reserve({reservedScalar("cpus", 1, "eng", "bob")}),
      reserve({reservedScalar("cpus", 1, "eng")}),  // no principal while alice is known
      reserve({reservedScalar("cpus", 10, "eng", "alice")}),
      reserve({scalar("cpus", 1)}),
  };
  for (const auto& op : invalid) {
    auto o = nextOffer();
    ASSERT_TRUE(o.has_value()) << op.ShortDebugString();
    accept(fid, *o, {op});
    EXPECT_TRUE(checkpoints().empty()) << op.ShortDebugString();
  }
  auto o = nextOffer();
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(Resources(o->resources()).reserved("eng").empty());
  EXPECT_DOUBLE_EQ(Resources(o->resources()).cpus().value_or(0), 4);
}

// Ensures UNRESERVE returns reserved resources to the unreserved pool and the agent's
// checkpoint loses them.
TEST_F(OperationsTest, UnreserveReturnsResources) {
  registerAgentWithDisk({reservedScalar("cpus", 2, "eng")});
  std::string fid = subscribeAs("eng");
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_DOUBLE_EQ(Resources(o[0].resources()).reserved("eng").cpus().value_or(0), 2);
  accept(fid, o[0], {unreserve({reservedScalar("cpus", 2, "eng")})});
  auto cp = checkpoints();
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_TRUE(cp[0].empty());
  auto next = nextOffer();
  ASSERT_TRUE(next.has_value());
  Resources offered(next->resources());
  EXPECT_TRUE(offered.reserved("eng").empty());
  EXPECT_DOUBLE_EQ(offered.unreserved().cpus().value_or(0), 4);
}

// Ensures a persistent volume can be created on reserved disk, is offered back, cannot be
// destroyed while a task uses it, can be destroyed afterwards, and that a duplicate
// persistence id is refused.
TEST_F(OperationsTest, CreateAndDestroyVolume) {
  registerAgentWithDisk({reservedScalar("disk", 100, "eng")});
  std::string fid = subscribeAs("eng");
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  accept(fid, o[0], {create({volume(100, "eng", "vol1")})});
  auto cp = checkpoints();
  ASSERT_EQ(cp.size(), 1u);
  ASSERT_EQ(cp[0].size(), 1u);
  EXPECT_EQ(cp[0].proto(0).disk().persistence().id(), "vol1");

  // The volume is offered; a second CREATE with the same id is refused.
  auto next = nextOffer();
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(Resources(next->resources()).contains(Resources(volume(100, "eng", "vol1"))));
  accept(fid, *next, {create({volume(100, "eng", "vol1")})});
  EXPECT_TRUE(checkpoints().empty());

  // A task uses the volume: DESTROY is refused while it runs.
  next = nextOffer();
  ASSERT_TRUE(next.has_value());
  mesos::TaskInfo task = commandTask("t1", *next);
  *task.add_resources() = volume(100, "eng", "vol1");
  Op launch;
  launch.set_type(Op::LAUNCH);
  *launch.mutable_launch()->add_task_infos() = task;
  accept(fid, *next, {launch});
  ASSERT_EQ(transport_.take<mesos::internal::RunTaskMessage>(kAgent).size(), 1u);
  std::string aid = next->slave_id().value();

  next = nextOffer();
  ASSERT_TRUE(next.has_value());
  accept(fid, *next, {destroy({volume(100, "eng", "vol1")})});
  EXPECT_TRUE(checkpoints().empty()) << "a volume in use must not be destroyed";

  // The task ends; its volume is offered again and can be destroyed.
  agentUpdate(fid, aid, "t1", mesos::TASK_FINISHED, std::string(16, '\x01'));
  next = nextOffer();
  ASSERT_TRUE(next.has_value());
  accept(fid, *next, {destroy({volume(100, "eng", "vol1")})});
  cp = checkpoints();
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_DOUBLE_EQ(cp[0].reserved("eng").disk().value_or(0), 100);
  EXPECT_FALSE(cp[0].proto(0).has_disk());
}

// Ensures an agent's checkpointed resources are part of its total when it registers, and
// that checkpointed resources its static resources cannot hold are ignored.
TEST_F(OperationsTest, CheckpointedResourcesOnRegistration) {
  registerAgentWithDisk({reservedScalar("mem", 128, "eng"), reservedScalar("gpus", 1, "eng")});
  std::string fid = subscribeAs("eng");
  auto o = offers();
  ASSERT_EQ(o.size(), 1u);
  Resources offered(o[0].resources());
  // The gpus reservation has nothing to come from: the whole checkpoint is refused.
  EXPECT_TRUE(offered.reserved("eng").empty());
  EXPECT_DOUBLE_EQ(offered.mem().value_or(0), 1024);
}

// Ensures the conversions of each operation, and their application, as pure functions.
TEST(ResourceConversionsTest, ConversionsAndCheckpointedTotals) {
  Op op = reserve({reservedScalar("cpus", 1, "eng")});
  auto conversions = conversionsOf(op);
  ASSERT_TRUE(conversions.isOk());
  ASSERT_EQ(conversions->size(), 1u);
  EXPECT_EQ((*conversions)[0].consumed, Resources(scalar("cpus", 1)));
  EXPECT_EQ((*conversions)[0].converted, Resources(reservedScalar("cpus", 1, "eng")));

  Resources pool(scalar("cpus", 4));
  auto applied = applyConversions(pool, *conversions);
  ASSERT_TRUE(applied.isOk());
  EXPECT_DOUBLE_EQ(applied->unreserved().cpus().value_or(0), 3);
  EXPECT_FALSE(applyConversions(Resources(scalar("cpus", 0.5)), *conversions).isOk());

  EXPECT_FALSE(conversionsOf(unreserve({scalar("cpus", 1)})).isOk());
  EXPECT_FALSE(conversionsOf(create({reservedScalar("disk", 1, "eng")})).isOk());

  auto volume_conversions = conversionsOf(destroy({volume(10, "eng", "v")}));
  ASSERT_TRUE(volume_conversions.isOk());
  EXPECT_EQ((*volume_conversions)[0].converted, Resources(reservedScalar("disk", 10, "eng")));

  Resources total(std::vector<mesos::Resource>{scalar("cpus", 4), scalar("disk", 100)});
  auto with = applyCheckpointedResources(
      total, Resources(std::vector<mesos::Resource>{volume(10, "eng", "v")}));
  ASSERT_TRUE(with.isOk());
  EXPECT_DOUBLE_EQ(with->unreserved().disk().value_or(0), 90);
  EXPECT_FALSE(
      applyCheckpointedResources(total, Resources(scalar("cpus", 1))).isOk());  // not dynamic
  EXPECT_FALSE(applyCheckpointedResources(total, Resources(reservedScalar("mem", 1, "eng")))
                   .isOk());  // nothing to come from
}

}  // namespace
}  // namespace keel::master
