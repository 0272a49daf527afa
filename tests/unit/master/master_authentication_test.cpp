// Tests of the master's framework authentication: the CRAM-MD5 session it runs for an
// AuthenticateMessage, and the SUBSCRIBE checks of --authenticate_frameworks.

#include <gtest/gtest.h>
#include <mesos/authentication/authentication.pb.h>
#include <mesos/internal/messages.pb.h>
#include <mesos/scheduler/scheduler.pb.h>

#include <memory>
#include <optional>
#include <string>

#include "authentication/cram_md5.hpp"
#include "fake_transport.hpp"
#include "master/master.hpp"

namespace keel::master {
namespace {

namespace internal = mesos::internal;
using mesos::scheduler::Call;

const wire::Pid kScheduler{"scheduler-1", "127.0.0.3", 40000};
const wire::Pid kAuthenticatee{"crammd5-authenticatee(7)", "127.0.0.3", 40000};

class MasterAuthenticationTest : public ::testing::Test {
 protected:
  void startMaster(std::optional<std::string> credentials =
                       std::string(R"({"credentials":[{"principal":"tim","secret":"s3cret"}]})"),
                   bool required = true) {
    flags_.registry = "in_memory";
    flags_.authenticate_frameworks = required;
    flags_.credentials = credentials;
    master_ = std::make_unique<Master>(loop_, transport_, flags_);
    master_->start();
    loop_.poll();
  }

  // Removes and returns the one message named `name` sent to `to`.
  std::optional<wire::Message> take(const std::string& name, const wire::Pid& to) {
    auto& sent = transport_.sent();
    for (auto it = sent.begin(); it != sent.end(); ++it) {
      if (it->name == name && it->to == to) {
        wire::Message m = *it;
        sent.erase(it);
        return m;
      }
    }
    return std::nullopt;
  }

  // Sends AuthenticateMessage; returns the session's pid (from its mechanisms message).
  wire::Pid beginAuthentication() {
    internal::AuthenticateMessage m;
    m.set_pid(kScheduler.str());
    EXPECT_EQ(transport_.deliver(kAuthenticatee, "master", m), wire::Delivery::kAccepted);
    loop_.poll();
    auto mechanisms = take("mesos.internal.AuthenticationMechanismsMessage", kAuthenticatee);
    EXPECT_TRUE(mechanisms);
    return mechanisms ? mechanisms->from : wire::Pid{};
  }

  // Plays the client's part against `session`; returns the name of the final answer.
  std::string finishAuthentication(const wire::Pid& session, const std::string& principal,
                                   const std::string& secret) {
    internal::AuthenticationStartMessage start;
    start.set_mechanism("CRAM-MD5");
    start.set_data("");
    EXPECT_EQ(transport_.deliver(kAuthenticatee, session.id, start), wire::Delivery::kAccepted);
    loop_.poll();
    auto challenge = take("mesos.internal.AuthenticationStepMessage", kAuthenticatee);
    if (!challenge) {
      return "no challenge";
    }
    internal::AuthenticationStepMessage parsed;
    parsed.ParseFromString(challenge->body);
    internal::AuthenticationStepMessage answer;
    answer.set_data(auth::cramMd5Response(principal, secret, parsed.data()));
    transport_.deliver(kAuthenticatee, session.id, answer);
    loop_.poll();
    for (const char* name : {"mesos.internal.AuthenticationCompletedMessage",
                             "mesos.internal.AuthenticationFailedMessage",
                             "mesos.internal.AuthenticationErrorMessage"}) {
      if (take(name, kAuthenticatee)) {
        return name;
      }
    }
    return "nothing";
  }

  void sendSubscribe(const std::string& principal = "") {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    auto* info = call.mutable_subscribe()->mutable_framework_info();
    info->set_name("test");
    info->set_user("tester");
    if (!principal.empty()) {
      info->set_principal(principal);
    }
    transport_.deliver(kScheduler, "master", call);
    loop_.poll();
  }

  // The framework id registered, or the error text, or "" when there was no answer.
  std::string subscribeOutcome() {
    if (auto m = take("mesos.internal.FrameworkRegisteredMessage", kScheduler)) {
      internal::FrameworkRegisteredMessage r;
      r.ParseFromString(m->body);
      return "registered " + r.framework_id().value();
    }
    if (auto m = take("mesos.internal.FrameworkErrorMessage", kScheduler)) {
      internal::FrameworkErrorMessage e;
      e.ParseFromString(m->body);
      return e.message();
    }
    return "";
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_{clock_};
  testing::FakeTransport transport_;
  MasterFlags flags_;
  std::unique_ptr<Master> master_;
};

// An authenticated framework registers; its principal is filled in when left empty.
TEST_F(MasterAuthenticationTest, AuthenticatedFrameworkRegisters) {
  startMaster();
  wire::Pid session = beginAuthentication();
  EXPECT_EQ(session.id.rfind("crammd5-authenticator-session(", 0), 0u);
  EXPECT_EQ(finishAuthentication(session, "tim", "s3cret"),
            "mesos.internal.AuthenticationCompletedMessage");
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome().rfind("registered ", 0), 0u);
  auto state = transport_.get("/master/state");
  ASSERT_TRUE(state);
  EXPECT_NE(state->body.find("\"principal\":\"tim\""), std::string::npos);
}

// Without authentication the SUBSCRIBE is refused with Mesos's message.
TEST_F(MasterAuthenticationTest, UnauthenticatedFrameworkIsRefused) {
  startMaster();
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome(), "Framework at " + kScheduler.str() + " is not authenticated");
}

// A principal other than the authenticated one is refused.
TEST_F(MasterAuthenticationTest, PrincipalMismatchIsRefused) {
  startMaster();
  finishAuthentication(beginAuthentication(), "tim", "s3cret");
  sendSubscribe("bob");
  EXPECT_EQ(subscribeOutcome(),
            "Framework principal 'bob' does not match authenticated principal 'tim'");
}

// A wrong secret gets AuthenticationFailedMessage and leaves the pid unauthenticated.
TEST_F(MasterAuthenticationTest, WrongSecretFails) {
  startMaster();
  EXPECT_EQ(finishAuthentication(beginAuthentication(), "tim", "guess"),
            "mesos.internal.AuthenticationFailedMessage");
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome(), "Framework at " + kScheduler.str() + " is not authenticated");
}

// A second AuthenticateMessage for the same pid discards the first session.
TEST_F(MasterAuthenticationTest, DuplicateAuthenticateDiscardsTheOldSession) {
  startMaster();
  wire::Pid first = beginAuthentication();
  wire::Pid second = beginAuthentication();
  EXPECT_NE(first, second);
  internal::AuthenticationStartMessage start;
  start.set_mechanism("CRAM-MD5");
  EXPECT_EQ(transport_.deliver(kAuthenticatee, first.id, start),
            wire::Delivery::kUnknownMessage);  // the old session is gone
  EXPECT_EQ(finishAuthentication(second, "tim", "s3cret"),
            "mesos.internal.AuthenticationCompletedMessage");
  sendSubscribe("tim");
  EXPECT_EQ(subscribeOutcome().rfind("registered ", 0), 0u);
}

// A SUBSCRIBE during authentication waits for it, then goes through.
TEST_F(MasterAuthenticationTest, SubscribeWaitsForAuthentication) {
  startMaster();
  wire::Pid session = beginAuthentication();
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome(), "");
  finishAuthentication(session, "tim", "s3cret");
  loop_.poll();
  EXPECT_EQ(subscribeOutcome().rfind("registered ", 0), 0u);
}

// --authentication_v0_timeout ends a stalled session; the queued SUBSCRIBE is dropped.
TEST_F(MasterAuthenticationTest, StalledAuthenticationTimesOut) {
  flags_.authentication_v0_timeout = std::chrono::seconds(15);
  startMaster();
  wire::Pid session = beginAuthentication();
  sendSubscribe();
  clock_.advance(std::chrono::seconds(14));
  loop_.poll();
  internal::AuthenticationStartMessage start;
  start.set_mechanism("CRAM-MD5");
  clock_.advance(std::chrono::seconds(2));
  loop_.poll();
  EXPECT_EQ(transport_.deliver(kAuthenticatee, session.id, start), wire::Delivery::kUnknownMessage);
  loop_.poll();
  EXPECT_EQ(subscribeOutcome(), "");
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome(), "Framework at " + kScheduler.str() + " is not authenticated");
}

// The master forgets an authentication when the pid goes away.
TEST_F(MasterAuthenticationTest, ExitForgetsTheAuthentication) {
  startMaster();
  finishAuthentication(beginAuthentication(), "tim", "s3cret");
  transport_.exit(kScheduler);
  loop_.poll();
  sendSubscribe();
  EXPECT_EQ(subscribeOutcome(), "Framework at " + kScheduler.str() + " is not authenticated");
}

// Without --authenticate_frameworks an unauthenticated framework registers, but an
// authenticated one must still use its own principal.
TEST_F(MasterAuthenticationTest, OptionalAuthentication) {
  startMaster(std::string(R"({"credentials":[{"principal":"tim","secret":"s3cret"}]})"), false);
  sendSubscribe("anyone");
  EXPECT_EQ(subscribeOutcome().rfind("registered ", 0), 0u);
}

// An embedded master whose credentials cannot be loaded answers "No authenticator loaded".
TEST_F(MasterAuthenticationTest, NoAuthenticatorLoaded) {
  startMaster(std::string("{not json"));
  internal::AuthenticateMessage m;
  m.set_pid(kScheduler.str());
  transport_.deliver(kAuthenticatee, "master", m);
  loop_.poll();
  auto error = take("mesos.internal.AuthenticationErrorMessage", kAuthenticatee);
  ASSERT_TRUE(error);
  internal::AuthenticationErrorMessage parsed;
  parsed.ParseFromString(error->body);
  EXPECT_EQ(parsed.error(), "No authenticator loaded");
}

}  // namespace
}  // namespace keel::master
