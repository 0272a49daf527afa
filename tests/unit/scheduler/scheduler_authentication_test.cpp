// Tests of the scheduler driver's CRAM-MD5 authentication (mesos-spec §2.3) on a fake
// transport in virtual time: authenticate-then-subscribe, the growing random timeouts,
// refusal aborting the driver, errors retried, and the driver's authentication flags.

#include <mesos/authentication/authentication.pb.h>

#include <map>

#include "authentication/cram_md5.hpp"
#include "scheduler_test_util.hpp"

namespace keel::testing {
namespace {

namespace internal = mesos::internal;
using namespace std::chrono_literals;

const wire::Pid kSession{"crammd5-authenticator-session(1)", "127.0.0.1", 5050};

class SchedulerAuthenticationTest : public SchedulerDriverTest {
 protected:
  void makeAuthDriver(std::optional<mesos::Credential> credential,
                      std::map<std::string, std::string> env = {}) {
    sched::SchedulerDriverDeps deps;
    deps.clock = &clock_;
    deps.uniform01 = [this] { return fraction_; };
    deps.getenv = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    deps.make_transport = [this](runtime::EventLoop& loop,
                                 const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
      auto fake = std::make_unique<FakeTransport>(loop);
      transport_ = fake.get();
      return std::unique_ptr<wire::Transport>(std::move(fake));
    };
    driver_ = std::make_unique<sched::SchedulerDriverImpl>(
        nullptr, &scheduler_, defaultFramework(), std::vector<std::string>{}, "127.0.0.1:5050",
        true, credential, std::move(deps));
  }

  static mesos::Credential tim(const std::string& secret = "tanstaaftanstaaf") {
    mesos::Credential c;
    c.set_principal("tim");
    c.set_secret(secret);
    return c;
  }

  // The AuthenticateMessages sent so far (their senders are the authenticatees).
  std::vector<wire::Message> authenticates() const {
    std::vector<wire::Message> out;
    for (const auto& m : transport_->sent()) {
      if (m.name == "mesos.internal.AuthenticateMessage") {
        out.push_back(m);
      }
    }
    return out;
  }

  template <class M>
  wire::Delivery toAuthenticatee(const wire::Pid& authenticatee, const M& m) {
    return transport_->deliver(wire::makeMessage(kSession, authenticatee, m));
  }

  // Plays the master's session up to the challenge; returns the authenticatee's pid.
  wire::Pid challenge() {
    auto sent = authenticates();
    EXPECT_FALSE(sent.empty());
    if (sent.empty()) {
      return {};
    }
    const wire::Pid authenticatee = sent.back().from;
    internal::AuthenticationMechanismsMessage mechanisms;
    mechanisms.add_mechanisms("CRAM-MD5");
    EXPECT_EQ(toAuthenticatee(authenticatee, mechanisms), wire::Delivery::kAccepted);
    internal::AuthenticationStepMessage step;
    step.set_data("<1.2@master>");
    EXPECT_EQ(toAuthenticatee(authenticatee, step), wire::Delivery::kAccepted);
    return authenticatee;
  }
};

// With a credential the driver authenticates first and subscribes only after success.
TEST_F(SchedulerAuthenticationTest, AuthenticatesThenSubscribes) {
  makeAuthDriver(tim());
  start();
  auto sent = authenticates();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kMaster);
  EXPECT_EQ(sent[0].from.id.rfind("crammd5-authenticatee(", 0), 0u);
  internal::AuthenticateMessage hello;
  ASSERT_TRUE(hello.ParseFromString(sent[0].body));
  EXPECT_EQ(hello.pid(), self().str());
  EXPECT_TRUE(calls(mesos::scheduler::Call::SUBSCRIBE).empty());

  const wire::Pid authenticatee = challenge();
  auto steps = transport_->sentOf<internal::AuthenticationStepMessage>();
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].data(), auth::cramMd5Response("tim", "tanstaaftanstaaf", "<1.2@master>"));
  EXPECT_TRUE(calls(mesos::scheduler::Call::SUBSCRIBE).empty());

  ASSERT_EQ(toAuthenticatee(authenticatee, internal::AuthenticationCompletedMessage()),
            wire::Delivery::kAccepted);
  EXPECT_EQ(calls(mesos::scheduler::Call::SUBSCRIBE).size(), 1u);
  registerFramework();
  EXPECT_EQ(scheduler_.events(), std::vector<std::string>{"registered"});

  // No stray retry later: the attempt's timer was cancelled.
  advance(2min);
  EXPECT_EQ(authenticates().size(), 1u);
}

// Attempt timeouts are drawn from [5s, max'], max' = 7s, 9s, 13s, 21s, ... capped at 1min.
TEST_F(SchedulerAuthenticationTest, TimeoutRangeGrows) {
  fraction_ = 1.0;  // always the upper bound
  makeAuthDriver(tim());
  start();
  size_t expected = 1;
  for (auto bound : {7s, 9s, 13s, 21s, 37s, 60s, 60s}) {
    advance(bound - 1ms);
    ASSERT_EQ(authenticates().size(), expected) << "bound " << bound.count();
    advance(1ms);
    ASSERT_EQ(authenticates().size(), ++expected) << "bound " << bound.count();
  }
  // Each attempt is a new authenticatee process.
  auto sent = authenticates();
  EXPECT_NE(sent[0].from, sent[1].from);
  EXPECT_TRUE(calls(mesos::scheduler::Call::SUBSCRIBE).empty());
}

// The lower bound is authentication_timeout_min.
TEST_F(SchedulerAuthenticationTest, TimeoutLowerBound) {
  fraction_ = 0.0;
  makeAuthDriver(tim());
  start();
  advance(5s - 1ms);
  EXPECT_EQ(authenticates().size(), 1u);
  advance(1ms);
  EXPECT_EQ(authenticates().size(), 2u);
}

// AuthenticationFailedMessage: error("Master refused authentication"), driver aborted.
TEST_F(SchedulerAuthenticationTest, RefusalAbortsTheDriver) {
  makeAuthDriver(tim("wrong"));
  start();
  const wire::Pid authenticatee = challenge();
  ASSERT_EQ(toAuthenticatee(authenticatee, internal::AuthenticationFailedMessage()),
            wire::Delivery::kAccepted);
  EXPECT_EQ(scheduler_.events(), std::vector<std::string>{"error"});
  EXPECT_EQ(scheduler_.error_message, "Master refused authentication");
  EXPECT_EQ(driver_->join(), mesos::DRIVER_ABORTED);
  advance(2min);
  EXPECT_EQ(authenticates().size(), 1u);
  EXPECT_TRUE(calls(mesos::scheduler::Call::SUBSCRIBE).empty());
}

// An AuthenticationErrorMessage is retried when the attempt's timeout expires.
TEST_F(SchedulerAuthenticationTest, ErrorIsRetried) {
  fraction_ = 0.0;
  makeAuthDriver(tim());
  start();
  internal::AuthenticationErrorMessage error;
  error.set_error("No authenticator loaded");
  ASSERT_EQ(toAuthenticatee(authenticates().back().from, error), wire::Delivery::kAccepted);
  EXPECT_EQ(authenticates().size(), 1u);
  advance(5s);
  EXPECT_EQ(authenticates().size(), 2u);
  EXPECT_TRUE(scheduler_.events().empty());

  // The second attempt succeeds and the driver subscribes (a zero fraction would make the
  // registration retries spin in virtual time).
  fraction_ = 1.0;
  const wire::Pid authenticatee = challenge();
  ASSERT_EQ(toAuthenticatee(authenticatee, internal::AuthenticationCompletedMessage()),
            wire::Delivery::kAccepted);
  EXPECT_EQ(calls(mesos::scheduler::Call::SUBSCRIBE).size(), 1u);
}

// A lost connection to the master means authenticating again before re-subscribing.
TEST_F(SchedulerAuthenticationTest, ReauthenticatesAfterLosingTheMaster) {
  makeAuthDriver(tim());
  start();
  ASSERT_EQ(toAuthenticatee(challenge(), internal::AuthenticationCompletedMessage()),
            wire::Delivery::kAccepted);
  registerFramework();
  transport_->breakLink(kMaster);
  EXPECT_EQ(authenticates().size(), 2u);
  EXPECT_EQ(calls(mesos::scheduler::Call::SUBSCRIBE).size(), 1u);
  ASSERT_EQ(toAuthenticatee(challenge(), internal::AuthenticationCompletedMessage()),
            wire::Delivery::kAccepted);
  EXPECT_EQ(calls(mesos::scheduler::Call::SUBSCRIBE).size(), 2u);
}

// The MESOS_AUTHENTICATION_* variables set the range; another authenticatee is refused.
TEST_F(SchedulerAuthenticationTest, Flags) {
  fraction_ = 1.0;
  makeAuthDriver(tim(), {{"MESOS_AUTHENTICATION_TIMEOUT_MIN", "2secs"},
                         {"MESOS_AUTHENTICATION_BACKOFF_FACTOR", "500ms"},
                         {"MESOS_AUTHENTICATION_TIMEOUT_MAX", "4secs"}});
  start();
  advance(3s - 1ms);  // [2s, 2s + 2 * 0.5s]
  EXPECT_EQ(authenticates().size(), 1u);
  advance(1ms);
  EXPECT_EQ(authenticates().size(), 2u);
  advance(4s);  // [2s, min(4s, 4s)]
  EXPECT_EQ(authenticates().size(), 3u);

  RecordingScheduler other;
  sched::SchedulerDriverDeps deps;
  deps.clock = &clock_;
  deps.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "MESOS_AUTHENTICATEE") return std::string("kerberos");
    return std::nullopt;
  };
  deps.make_transport = [](runtime::EventLoop&,
                           const wire::Pid&) -> Result<std::unique_ptr<wire::Transport>> {
    return Status::error("unused");
  };
  sched::SchedulerDriverImpl refused(nullptr, &other, defaultFramework(), {}, "127.0.0.1:5050",
                                     true, tim(), std::move(deps));
  EXPECT_EQ(refused.start(), mesos::DRIVER_ABORTED);
  EXPECT_NE(other.error_message.find("kerberos"), std::string::npos);
}

}  // namespace
}  // namespace keel::testing
