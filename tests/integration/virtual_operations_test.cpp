// Virtual-time cluster tests of reservations and persistent volumes through the public
// framework API: acceptOffers with RESERVE / CREATE / DESTROY / UNRESERVE, what the next
// offers hold, and tasks launched on reserved resources (mesos-spec §3.5 stage D).

#include <gtest/gtest.h>

#include <filesystem>

#include "cluster.hpp"
#include "common/resources.hpp"
#include "virtual_cluster.hpp"

namespace keel::testing {
namespace {

using Op = mesos::Offer::Operation;

mesos::Resource reserved(const std::string& name, double value, const std::string& role) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  auto* reservation = r.add_reservations();
  reservation->set_type(mesos::Resource::ReservationInfo::DYNAMIC);
  reservation->set_role(role);
  return r;
}

mesos::Resource volume(double size, const std::string& role, const std::string& id) {
  mesos::Resource r = reserved("disk", size, role);
  r.mutable_disk()->mutable_persistence()->set_id(id);
  r.mutable_disk()->mutable_volume()->set_container_path("data");
  r.mutable_disk()->mutable_volume()->set_mode(mesos::Volume::RW);
  return r;
}

Op operation(Op::Type type, const std::vector<mesos::Resource>& resources) {
  Op op;
  op.set_type(type);
  for (const auto& r : resources) {
    switch (type) {
      case Op::RESERVE: *op.mutable_reserve()->add_resources() = r; break;
      case Op::UNRESERVE: *op.mutable_unreserve()->add_resources() = r; break;
      case Op::CREATE: *op.mutable_create()->add_volumes() = r; break;
      case Op::DESTROY: *op.mutable_destroy()->add_volumes() = r; break;
      default: break;
    }
  }
  return op;
}

mesos::Filters noFilter() {
  mesos::Filters f;
  f.set_refuse_seconds(0);
  return f;
}

// Ensures a framework's reservation, volume and their removal each show in its next offer,
// and that a task launched on reserved resources runs.
TEST(VirtualOperations, ReserveCreateLaunchDestroyUnreserve) {
  RecordingScheduler s;
  VirtualCluster c;
  mesos::FrameworkInfo fw = frameworkInfo("reserver");
  fw.set_role("eng");
  mesos::SchedulerDriver* driver = c.startScheduler(&s, fw);

  auto offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  const std::vector<mesos::Resource> wanted = {reserved("cpus", 0.5, "eng"),
                                               reserved("mem", 64, "eng"),
                                               reserved("disk", 16, "eng")};
  EXPECT_EQ(driver->acceptOffers({offer->id()}, {operation(Op::RESERVE, wanted)}, noFilter()),
            mesos::DRIVER_RUNNING);

  offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  Resources offered(offer->resources());
  EXPECT_DOUBLE_EQ(offered.reserved("eng").cpus().value_or(0), 0.5);
  EXPECT_DOUBLE_EQ(offered.reserved("eng").disk().value_or(0), 16);

  // Turn the reserved disk into a volume.
  driver->acceptOffers({offer->id()}, {operation(Op::CREATE, {volume(16, "eng", "v1")})},
                       noFilter());
  offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  ASSERT_TRUE(Resources(offer->resources()).contains(Resources(volume(16, "eng", "v1"))));

  // A task on the reserved cpus and mem with the volume runs.
  mesos::TaskInfo task = commandTask(*offer, "on-reserved", "sleep 1000");
  task.clear_resources();
  *task.add_resources() = reserved("cpus", 0.5, "eng");
  *task.add_resources() = reserved("mem", 64, "eng");
  *task.add_resources() = volume(16, "eng", "v1");
  driver->launchTasks({offer->id()}, {task}, noFilter());
  c.settle();
  ASSERT_TRUE(takeUpdate(s, "on-reserved", mesos::TASK_RUNNING));

  // The agent was told: its checkpointed resources hold the reservation and the volume, and
  // the volume shows in the task's sandbox at its container path.
  const auto [checkpointed, sandbox] = c.onAgent(0, [](agent::Agent& a) {
    std::string directory;
    for (const auto& [fid, framework] : a.frameworks()) {
      for (const auto& [eid, executor] : framework->executors) directory = executor->directory;
    }
    return std::make_pair(a.checkpointedResources(), directory);
  });
  EXPECT_DOUBLE_EQ(checkpointed.reserved("eng").cpus().value_or(0), 0.5);
  EXPECT_TRUE(checkpointed.contains(Resources(volume(16, "eng", "v1"))));
  ASSERT_FALSE(sandbox.empty());
  EXPECT_TRUE(std::filesystem::is_symlink(sandbox + "/data"));
  const std::string volume_dir = std::filesystem::read_symlink(sandbox + "/data").string();
  EXPECT_NE(volume_dir.find("/volumes/roles/eng/v1"), std::string::npos) << volume_dir;
  EXPECT_TRUE(std::filesystem::is_directory(volume_dir));
  driver->killTask(task.task_id());
  c.settle();
  ASSERT_TRUE(takeUpdate(s, "on-reserved", mesos::TASK_KILLED));

  // Destroy the volume, then give the reservation back.
  offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  driver->acceptOffers({offer->id()},
                       {operation(Op::DESTROY, {volume(16, "eng", "v1")}),
                        operation(Op::UNRESERVE, wanted)},
                       noFilter());
  offer = awaitOffer(c, s);
  ASSERT_TRUE(offer);
  EXPECT_TRUE(Resources(offer->resources()).reserved("eng").empty());
  EXPECT_TRUE(c.onAgent(0, [](agent::Agent& a) { return a.checkpointedResources().empty(); }));
  EXPECT_FALSE(std::filesystem::exists(volume_dir)) << "a destroyed volume's data goes";
}

}  // namespace
}  // namespace keel::testing
