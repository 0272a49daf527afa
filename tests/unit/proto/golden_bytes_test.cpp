// Golden encodings for important messages the recorded traffic doesn't contain. Each expected
// hex string was worked out by hand from the field numbers and wire types in Mesos's schema, so
// a renumbered or retyped field in our .proto files makes these tests fail.
//
// Reminder for reading the hex: a key byte is (field number << 3) | wire type, where wire type
// 0 = varint, 1 = 64-bit, 2 = length-delimited; fields are written in field-number order.

#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include <string>

namespace keel::proto_test {
namespace {

namespace internal = mesos::internal;
using mesos::scheduler::Call;

// Lower-case hex of `bytes`, no separators.
std::string toHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// `hex` with its spaces removed, so expectations can be grouped per field.
std::string compact(const std::string& hex) {
  std::string out;
  for (char c : hex) {
    if (c != ' ') {
      out += c;
    }
  }
  return out;
}

// Serializes, compares with the expected hex and checks the bytes parse back to an equal message.
template <typename T>
void expectEncoding(const T& message, const std::string& expected_hex) {
  ASSERT_TRUE(message.IsInitialized()) << message.InitializationErrorString();
  std::string bytes = message.SerializeAsString();
  EXPECT_EQ(toHex(bytes), compact(expected_hex));
  T parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
}

// Ensures RegisterFrameworkMessage wraps FrameworkInfo as field 1, with FrameworkInfo's user=1,
// name=2, failover_timeout=4 (double), checkpoint=5, capabilities=10, roles=12.
TEST(GoldenBytes, RegisterFrameworkMessage) {
  internal::RegisterFrameworkMessage m;
  mesos::FrameworkInfo* f = m.mutable_framework();
  f->set_user("u");
  f->set_name("n");
  f->set_failover_timeout(1.0);
  f->set_checkpoint(true);
  f->add_capabilities()->set_type(mesos::FrameworkInfo::Capability::MULTI_ROLE);
  f->add_roles("r");
  expectEncoding(m, "0a 18  0a0175  12016e  21 000000000000f03f  2801  5202 0806  620172");
}

// Ensures ReregisterFrameworkMessage uses framework=2 and failover=3, and FrameworkInfo.id=3.
TEST(GoldenBytes, ReregisterFrameworkMessage) {
  internal::ReregisterFrameworkMessage m;
  m.mutable_framework()->set_user("u");
  m.mutable_framework()->set_name("n");
  m.mutable_framework()->mutable_id()->set_value("f");
  m.set_failover(true);
  expectEncoding(m, "12 0b  0a0175 12016e 1a03 0a0166   1801");
}

// Ensures ReregisterSlaveMessage's slave=2, version=6, checkpointed_resources=7, frameworks=8,
// agent_capabilities=9, resource_version_uuid=10; SlaveInfo.port=8; Resource name/type/scalar.
TEST(GoldenBytes, ReregisterSlaveMessage) {
  internal::ReregisterSlaveMessage m;
  m.mutable_slave()->set_hostname("h");
  m.mutable_slave()->set_port(5051);
  m.set_version("1.12.0");
  mesos::Resource* r = m.add_checkpointed_resources();
  r->set_name("cpus");
  r->set_type(mesos::Value::SCALAR);
  r->mutable_scalar()->set_value(2.0);
  m.add_frameworks()->set_user("u");
  m.mutable_frameworks(0)->set_name("n");
  m.add_agent_capabilities()->set_type(mesos::SlaveInfo::Capability::MULTI_ROLE);
  m.mutable_resource_version_uuid()->set_value(std::string("\x01\x02", 2));
  expectEncoding(m,
                 "12 06 0a0168 40bb27"
                 "32 06 312e31322e30"
                 "3a 13 0a0463707573 1000 1a09 09 0000000000000040"
                 "42 06 0a0175 12016e"
                 "4a 02 0801"
                 "52 04 0a020102");
}

// Ensures SlaveReregisteredMessage's slave_id=1, reconciliations=2, connection=3 and
// MasterSlaveConnection.total_ping_timeout_seconds=1 (double).
TEST(GoldenBytes, SlaveReregisteredMessage) {
  internal::SlaveReregisteredMessage m;
  m.mutable_slave_id()->set_value("s");
  m.add_reconciliations()->mutable_framework_id()->set_value("f");
  m.mutable_connection()->set_total_ping_timeout_seconds(75.0);
  expectEncoding(m, "0a03 0a0173  1205 0a03 0a0166  1a09 09 0000000000c05240");
}

// Ensures KillTaskMessage carries kill_policy as field 3 (KillPolicy.grace_period=1,
// DurationInfo.nanoseconds=1).
TEST(GoldenBytes, KillTaskMessageWithKillPolicy) {
  internal::KillTaskMessage m;
  m.mutable_framework_id()->set_value("f");
  m.mutable_task_id()->set_value("t");
  m.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(1000000000);
  expectEncoding(m, "0a03 0a0166  1203 0a0174  1a08 0a06 08 8094ebdc03");
}

// Ensures LostSlaveMessage.slave_id=1.
TEST(GoldenBytes, LostSlaveMessage) {
  internal::LostSlaveMessage m;
  m.mutable_slave_id()->set_value("s");
  expectEncoding(m, "0a03 0a0173");
}

// Ensures ExitedExecutorMessage's ids are 1..3 and status=4 is an int32 (negative values take
// ten varint bytes).
TEST(GoldenBytes, ExitedExecutorMessage) {
  internal::ExitedExecutorMessage m;
  m.mutable_slave_id()->set_value("s");
  m.mutable_framework_id()->set_value("f");
  m.mutable_executor_id()->set_value("e");
  m.set_status(-1);
  expectEncoding(m, "0a03 0a0173  1203 0a0166  1a03 0a0165  20 ffffffffffffffffff01");
}

// Ensures ExecutorToFrameworkMessage's slave_id=1, framework_id=2, executor_id=3, data=4.
TEST(GoldenBytes, ExecutorToFrameworkMessage) {
  internal::ExecutorToFrameworkMessage m;
  m.mutable_slave_id()->set_value("s");
  m.mutable_framework_id()->set_value("f");
  m.mutable_executor_id()->set_value("e");
  m.set_data("hi");
  expectEncoding(m, "0a03 0a0173  1203 0a0166  1a03 0a0165  2202 6869");
}

// Ensures FrameworkToExecutorMessage's slave_id=1, framework_id=2, executor_id=3, data=4.
TEST(GoldenBytes, FrameworkToExecutorMessage) {
  internal::FrameworkToExecutorMessage m;
  m.mutable_slave_id()->set_value("s");
  m.mutable_framework_id()->set_value("f");
  m.mutable_executor_id()->set_value("e");
  m.set_data(std::string("\x00\xff", 2));
  expectEncoding(m, "0a03 0a0173  1203 0a0166  1a03 0a0165  2202 00ff");
}

// Ensures RescindResourceOfferMessage.offer_id=1.
TEST(GoldenBytes, RescindResourceOfferMessage) {
  internal::RescindResourceOfferMessage m;
  m.mutable_offer_id()->set_value("o");
  expectEncoding(m, "0a03 0a016f");
}

// Ensures UpdateFrameworkMessage's framework_id=1, pid=2, framework_info=3.
TEST(GoldenBytes, UpdateFrameworkMessage) {
  internal::UpdateFrameworkMessage m;
  m.mutable_framework_id()->set_value("f");
  m.set_pid("p");
  m.mutable_framework_info()->set_user("u");
  m.mutable_framework_info()->set_name("n");
  expectEncoding(m, "0a03 0a0166  120170  1a06 0a0175 12016e");
}

// Ensures ShutdownMessage.message=1.
TEST(GoldenBytes, ShutdownMessage) {
  internal::ShutdownMessage m;
  m.set_message("bye");
  expectEncoding(m, "0a03 627965");
}

// Ensures an empty ShutdownMessage encodes to no bytes (it is sent with an empty body).
TEST(GoldenBytes, EmptyShutdownMessage) { expectEncoding(internal::ShutdownMessage(), ""); }

// Ensures Call.framework_id=1, type=2, TEARDOWN=2.
TEST(GoldenBytes, CallTeardown) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::TEARDOWN);
  expectEncoding(c, "0a03 0a0166  1002");
}

// Ensures DECLINE=4, Call.decline=5, Decline.offer_ids=1, Decline.filters=2,
// Filters.refuse_seconds=1 (double).
TEST(GoldenBytes, CallDecline) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::DECLINE);
  c.mutable_decline()->add_offer_ids()->set_value("o");
  c.mutable_decline()->mutable_filters()->set_refuse_seconds(1.0);
  expectEncoding(c, "0a03 0a0166  1004  2a10 0a03 0a016f 1209 09 000000000000f03f");
}

// Ensures REVIVE=5, Call.revive=15, Revive.roles=1.
TEST(GoldenBytes, CallRevive) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::REVIVE);
  c.mutable_revive()->add_roles("r");
  expectEncoding(c, "0a03 0a0166  1005  7a03 0a0172");
}

// Ensures SUPPRESS=12, Call.suppress=16 (a two-byte key), Suppress.roles=1.
TEST(GoldenBytes, CallSuppress) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::SUPPRESS);
  c.mutable_suppress()->add_roles("r");
  expectEncoding(c, "0a03 0a0166  100c  8201 03 0a0172");
}

// Ensures RECONCILE=9, Call.reconcile=9, Reconcile.tasks=1, Task.task_id=1, Task.slave_id=2.
TEST(GoldenBytes, CallReconcile) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::RECONCILE);
  Call::Reconcile::Task* t = c.mutable_reconcile()->add_tasks();
  t->mutable_task_id()->set_value("t");
  t->mutable_slave_id()->set_value("s");
  expectEncoding(c, "0a03 0a0166  1009  4a0c 0a0a 0a03 0a0174 1203 0a0173");
}

// Ensures an empty RECONCILE (implicit reconciliation) still carries the reconcile field.
TEST(GoldenBytes, CallReconcileImplicit) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::RECONCILE);
  c.mutable_reconcile();
  expectEncoding(c, "0a03 0a0166  1009  4a00");
}

// Ensures MESSAGE=10, Call.message=10, Message.slave_id=1, executor_id=2, data=3.
TEST(GoldenBytes, CallMessage) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::MESSAGE);
  c.mutable_message()->mutable_slave_id()->set_value("s");
  c.mutable_message()->mutable_executor_id()->set_value("e");
  c.mutable_message()->set_data("hi");
  expectEncoding(c, "0a03 0a0166  100a  520e 0a03 0a0173 1203 0a0165 1a02 6869");
}

// Ensures KILL=6, Call.kill=6, Kill.task_id=1, slave_id=2, kill_policy=3.
TEST(GoldenBytes, CallKillWithPolicy) {
  Call c;
  c.mutable_framework_id()->set_value("f");
  c.set_type(Call::KILL);
  c.mutable_kill()->mutable_task_id()->set_value("t");
  c.mutable_kill()->mutable_slave_id()->set_value("s");
  c.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(5);
  expectEncoding(c, "0a03 0a0166  1006  3210 0a03 0a0174 1203 0a0173 1a04 0a02 0805");
}

}  // namespace
}  // namespace keel::proto_test
