// Tests of the CRAM-MD5 client and server session talking over in-process transports: the
// message flow and its outcomes (success, refusal, errors, discards, a vanished client).

#include <gtest/gtest.h>
#include <mesos/authentication/authentication.pb.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authentication/authenticatee.hpp"
#include "authentication/authenticator.hpp"
#include "authentication/cram_md5.hpp"
#include "runtime/event_loop.hpp"
#include "wire/inproc_transport.hpp"

namespace keel::auth {
namespace {

namespace internal = mesos::internal;
using namespace std::chrono_literals;

mesos::Credential credential(const std::string& principal, std::optional<std::string> secret) {
  mesos::Credential c;
  c.set_principal(principal);
  if (secret) {
    c.set_secret(*secret);
  }
  return c;
}

// A client transport and a "master" transport on one manual-clock loop driven by poll().
// The fake master answers AuthenticateMessage by starting a session, as the master does.
class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_transport_ = network_.createTransport(loop_);
    master_transport_ = network_.createTransport(loop_);
    network_.setFilter([this](const wire::Message& m) {
      trace_.push_back(m.name);
      messages_.push_back(m);
      return wire::FilterAction::deliver();
    });
    master_dispatcher_.on<internal::AuthenticateMessage>(
        [this](const wire::Pid& from, internal::AuthenticateMessage&& m) {
          authenticated_pid_ = m.pid();
          CramMd5AuthenticatorSession::Options options;
          options.hostname = "master.example";
          options.random = [] { return 1896u; };
          session_ = std::make_unique<CramMd5AuthenticatorSession>(
              *master_transport_, loop_, from, secrets_,
              [this](SessionResult r) { server_result_ = std::move(r); }, options);
          session_->start();
        });
    master_transport_->addProcess(
        "master", wire::ProcessHandlers{[this](wire::Message&& m) {
                                          return master_dispatcher_.dispatch(std::move(m));
                                        },
                                        nullptr});
  }

  // Runs one client attempt to completion (bounded by the loop running dry).
  void run(const mesos::Credential& c) {
    client_ = std::make_unique<CramMd5Authenticatee>(
        *client_transport_, loop_, c, scheduler_pid(),
        [this](AuthenticateeResult r) { client_result_ = std::move(r); });
    client_->authenticate(master_transport_->pidOf("master"));
    loop_.poll();
  }

  wire::Pid scheduler_pid() const { return client_transport_->pidOf("scheduler-1"); }

  // The bodies sent of one message type, parsed.
  template <class M>
  std::vector<M> sent() const {
    std::vector<M> out;
    for (const auto& m : messages_) {
      if (m.name == M::default_instance().GetTypeName()) {
        M parsed;
        parsed.ParseFromString(m.body);
        out.push_back(parsed);
      }
    }
    return out;
  }

  runtime::ManualClock clock_;
  runtime::EventLoop loop_{clock_};
  wire::InProcNetwork network_;
  std::unique_ptr<wire::InProcTransport> client_transport_;
  std::unique_ptr<wire::InProcTransport> master_transport_;
  wire::Dispatcher master_dispatcher_;
  SecretStore secrets_ = std::make_shared<std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"tim", "tanstaaftanstaaf"}});
  std::unique_ptr<CramMd5AuthenticatorSession> session_;
  std::unique_ptr<CramMd5Authenticatee> client_;
  std::optional<SessionResult> server_result_;
  std::optional<AuthenticateeResult> client_result_;
  std::string authenticated_pid_;
  std::vector<std::string> trace_;
  std::vector<wire::Message> messages_;
};

// The right secret authenticates, with Mesos's message sequence and contents.
TEST_F(ExchangeTest, Succeeds) {
  run(credential("tim", "tanstaaftanstaaf"));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kSucceeded);
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kSucceeded);
  EXPECT_EQ(server_result_->principal, "tim");
  EXPECT_EQ(authenticated_pid_, scheduler_pid().str());

  EXPECT_EQ(trace_, (std::vector<std::string>{
                        "mesos.internal.AuthenticateMessage",
                        "mesos.internal.AuthenticationMechanismsMessage",
                        "mesos.internal.AuthenticationStartMessage",
                        "mesos.internal.AuthenticationStepMessage",
                        "mesos.internal.AuthenticationStepMessage",
                        "mesos.internal.AuthenticationCompletedMessage",
                    }));
  EXPECT_EQ(messages_[0].from.id.rfind("crammd5-authenticatee(", 0), 0u);
  EXPECT_EQ(messages_[1].from.id.rfind("crammd5-authenticator-session(", 0), 0u);

  auto mechanisms = sent<internal::AuthenticationMechanismsMessage>();
  ASSERT_EQ(mechanisms.size(), 1u);
  ASSERT_EQ(mechanisms[0].mechanisms_size(), 1);
  EXPECT_EQ(mechanisms[0].mechanisms(0), "CRAM-MD5");
  auto start = sent<internal::AuthenticationStartMessage>();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].mechanism(), "CRAM-MD5");
  EXPECT_TRUE(start[0].has_data());  // present and empty, as Mesos sends it
  EXPECT_EQ(start[0].data(), "");
  auto steps = sent<internal::AuthenticationStepMessage>();
  ASSERT_EQ(steps.size(), 2u);
  const std::string challenge = steps[0].data();
  EXPECT_EQ(challenge.rfind("<1896.", 0), 0u);
  EXPECT_NE(challenge.find("@master.example>"), std::string::npos);
  EXPECT_EQ(steps[1].data(), cramMd5Response("tim", "tanstaaftanstaaf", challenge));
}

// A wrong secret is refused: AuthenticationFailedMessage, no error.
TEST_F(ExchangeTest, WrongSecretIsRefused) {
  run(credential("tim", "wrong"));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kRefused);
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kRefused);
  EXPECT_EQ(trace_.back(), "mesos.internal.AuthenticationFailedMessage");
}

// An unknown principal is refused the same way.
TEST_F(ExchangeTest, UnknownPrincipalIsRefused) {
  run(credential("tom", "tanstaaftanstaaf"));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kRefused);
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kRefused);
}

// A credential without a secret is refused locally, without talking to the master.
TEST_F(ExchangeTest, NoSecretIsRefusedLocally) {
  run(credential("tim", std::nullopt));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kRefused);
  EXPECT_TRUE(trace_.empty());
}

// A client asking for another mechanism gets AuthenticationErrorMessage.
TEST_F(ExchangeTest, UnsupportedMechanismIsAnError) {
  std::vector<wire::Message> received;
  client_transport_->addProcess("rogue", wire::ProcessHandlers{[&](wire::Message&& m) {
                                                                 received.push_back(m);
                                                                 return wire::Delivery::kAccepted;
                                                               },
                                                               nullptr});
  const wire::Pid rogue = client_transport_->pidOf("rogue");
  internal::AuthenticateMessage hello;
  hello.set_pid(rogue.str());
  client_transport_->send(wire::makeMessage(rogue, master_transport_->pidOf("master"), hello));
  loop_.poll();
  ASSERT_TRUE(session_);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].name, "mesos.internal.AuthenticationMechanismsMessage");

  internal::AuthenticationStartMessage start;
  start.set_mechanism("PLAIN");
  start.set_data("");
  client_transport_->send(wire::makeMessage(rogue, received[0].from, start));
  loop_.poll();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].name, "mesos.internal.AuthenticationErrorMessage");
  internal::AuthenticationErrorMessage error;
  ASSERT_TRUE(error.ParseFromString(received[1].body));
  EXPECT_NE(error.error().find("PLAIN"), std::string::npos);
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kError);

  // Anything after the end is ignored; a step out of turn on a fresh session is an error.
  internal::AuthenticationStepMessage step;
  step.set_data("tim 00000000000000000000000000000000");
  client_transport_->send(wire::makeMessage(rogue, received[0].from, step));
  loop_.poll();
  EXPECT_EQ(received.size(), 2u);
}

// A step before start is answered with an error, as SASL's state machine does.
TEST_F(ExchangeTest, StepOutOfTurnIsAnError) {
  std::vector<wire::Message> received;
  client_transport_->addProcess("rogue", wire::ProcessHandlers{[&](wire::Message&& m) {
                                                                 received.push_back(m);
                                                                 return wire::Delivery::kAccepted;
                                                               },
                                                               nullptr});
  const wire::Pid rogue = client_transport_->pidOf("rogue");
  CramMd5AuthenticatorSession session(*master_transport_, loop_, rogue, secrets_,
                                      [this](SessionResult r) { server_result_ = r; });
  session.start();
  loop_.poll();
  internal::AuthenticationStepMessage step;
  step.set_data("tim 00000000000000000000000000000000");
  client_transport_->send(wire::makeMessage(rogue, session.self(), step));
  loop_.poll();
  ASSERT_EQ(received.size(), 2u);
  internal::AuthenticationErrorMessage error;
  ASSERT_TRUE(error.ParseFromString(received[1].body));
  EXPECT_EQ(error.error(), "Unexpected authentication 'step' received");
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kError);
}

// A client offered no CRAM-MD5 gives up with an error; an AuthenticationErrorMessage too.
TEST_F(ExchangeTest, ClientErrors) {
  master_dispatcher_.on<internal::AuthenticateMessage>(
      [this](const wire::Pid& from, internal::AuthenticateMessage&&) {
        internal::AuthenticationMechanismsMessage m;
        m.add_mechanisms("GSSAPI");
        master_transport_->send(wire::makeMessage(master_transport_->pidOf("master"), from, m));
      });
  run(credential("tim", "tanstaaftanstaaf"));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kError);
  EXPECT_NE(client_result_->error.find("GSSAPI"), std::string::npos);

  master_dispatcher_.on<internal::AuthenticateMessage>(
      [this](const wire::Pid& from, internal::AuthenticateMessage&&) {
        internal::AuthenticationErrorMessage m;
        m.set_error("No authenticator loaded");
        master_transport_->send(wire::makeMessage(master_transport_->pidOf("master"), from, m));
      });
  client_result_.reset();
  run(credential("tim", "tanstaaftanstaaf"));
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kError);
  EXPECT_EQ(client_result_->error, "Authentication error: No authenticator loaded");
}

// discard() ends a pending attempt on either side; nothing else is reported afterwards.
TEST_F(ExchangeTest, Discards) {
  network_.setFilter([](const wire::Message& m) {
    return m.name == "mesos.internal.AuthenticationStartMessage" ? wire::FilterAction::drop()
                                                                 : wire::FilterAction::deliver();
  });
  run(credential("tim", "tanstaaftanstaaf"));
  EXPECT_FALSE(client_result_);
  ASSERT_TRUE(session_);
  session_->discard();
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kDiscarded);
  client_->discard();
  ASSERT_TRUE(client_result_);
  EXPECT_EQ(client_result_->kind, AuthenticateeResult::kError);
  EXPECT_EQ(client_result_->error, "Authentication discarded");
}

// A session whose authenticatee goes away ends with an error.
TEST_F(ExchangeTest, VanishedAuthenticateeEndsTheSession) {
  network_.setFilter([](const wire::Message& m) {
    return m.name == "mesos.internal.AuthenticationStartMessage" ? wire::FilterAction::drop()
                                                                 : wire::FilterAction::deliver();
  });
  run(credential("tim", "tanstaaftanstaaf"));
  ASSERT_TRUE(session_);
  network_.kill(client_transport_->address());
  loop_.poll();
  ASSERT_TRUE(server_result_);
  EXPECT_EQ(server_result_->kind, SessionResult::kError);
  EXPECT_EQ(server_result_->error, "Failed to communicate with authenticatee");
}

}  // namespace
}  // namespace keel::auth
