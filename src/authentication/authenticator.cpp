#include "authentication/authenticator.hpp"

#include <glog/logging.h>

#include <atomic>
#include <random>

#include <mesos/authentication/authentication.pb.h>

#include "authentication/cram_md5.hpp"
#include "common/ids.hpp"

namespace keel::auth {

namespace {

namespace internal = mesos::internal;

std::string nextSessionId() {
  static std::atomic<uint64_t> next{1};
  return "crammd5-authenticator-session(" + std::to_string(next.fetch_add(1)) + ")";
}

uint32_t randomChallengeNumber() {
  static thread_local std::mt19937 engine(std::random_device{}());
  return static_cast<uint32_t>(engine());
}

}  // namespace

CramMd5AuthenticatorSession::CramMd5AuthenticatorSession(wire::Transport& transport,
                                                         runtime::EventLoop& loop,
                                                         wire::Pid authenticatee,
                                                         SecretStore secrets, Done done,
                                                         Options options)
    : transport_(transport),
      loop_(loop),
      authenticatee_(std::move(authenticatee)),
      secrets_(std::move(secrets)),
      done_(std::move(done)),
      options_(std::move(options)),
      id_(nextSessionId()) {
  if (options_.hostname.empty()) {
    options_.hostname = hostname();
  }
  if (!options_.random) {
    options_.random = randomChallengeNumber;
  }
  dispatcher_.on<internal::AuthenticationStartMessage>(
      [this](const wire::Pid& from, internal::AuthenticationStartMessage&& m) {
        if (fromAuthenticatee(from)) {
          onStart(m.mechanism(), m.data());
        }
      });
  dispatcher_.on<internal::AuthenticationStepMessage>(
      [this](const wire::Pid& from, internal::AuthenticationStepMessage&& m) {
        if (fromAuthenticatee(from)) {
          onStep(m.data());
        }
      });
}

CramMd5AuthenticatorSession::~CramMd5AuthenticatorSession() {
  if (registered_) {
    transport_.unlink(id_, authenticatee_);
    transport_.removeProcess(id_);
  }
}

bool CramMd5AuthenticatorSession::fromAuthenticatee(const wire::Pid& from) const {
  if (from != authenticatee_) {
    LOG(WARNING) << "Ignoring authentication message from " << from.str() << " in session " << id_
                 << " of " << authenticatee_.str();
    return false;
  }
  return true;
}

void CramMd5AuthenticatorSession::start() {
  if (status_ != kReady) {
    return;
  }
  self_ = transport_.pidOf(id_);
  transport_.addProcess(
      id_, wire::ProcessHandlers{
               [this](wire::Message&& msg) { return dispatcher_.dispatch(std::move(msg)); },
               [this](const wire::Pid& peer) {
                 if (peer == authenticatee_ && !finished()) {
                   finish({SessionResult::kError, "", "Failed to communicate with authenticatee"});
                 }
               }});
  registered_ = true;
  // Don't wait for an authenticatee that is gone.
  transport_.link(id_, authenticatee_);

  internal::AuthenticationMechanismsMessage message;
  message.add_mechanisms(kCramMd5Mechanism);
  transport_.send(wire::makeMessage(self_, authenticatee_, message));
  status_ = kStarting;
}

void CramMd5AuthenticatorSession::onStart(const std::string& mechanism, const std::string& data) {
  if (finished()) {
    return;
  }
  if (status_ != kStarting) {
    fail("Unexpected authentication 'start' received");
    return;
  }
  if (mechanism != kCramMd5Mechanism) {
    fail("SASL(-4): no mechanism available: mechanism '" + mechanism +
         "' is not supported; offered: CRAM-MD5");
    return;
  }
  if (!data.empty()) {
    fail("SASL(-5): bad protocol / cancel: CRAM-MD5 does not accept initial data");
    return;
  }
  const int64_t now = static_cast<int64_t>(loop_.clock().unixSeconds());
  challenge_ = cramMd5Challenge(options_.random(), now, options_.hostname);
  internal::AuthenticationStepMessage message;
  message.set_data(challenge_);
  transport_.send(wire::makeMessage(self_, authenticatee_, message));
  status_ = kStepping;
}

void CramMd5AuthenticatorSession::onStep(const std::string& data) {
  if (finished()) {
    return;
  }
  if (status_ != kStepping) {
    fail("Unexpected authentication 'step' received");
    return;
  }
  auto answer = parseCramMd5Answer(data);
  if (!answer) {
    fail("SASL(-5): bad protocol / cancel: malformed CRAM-MD5 response");
    return;
  }
  const std::string* secret = nullptr;
  if (secrets_) {
    auto it = secrets_->find(answer->principal);
    if (it != secrets_->end()) {
      secret = &it->second;
    }
  }
  if (secret == nullptr || !verifyCramMd5Digest(*secret, challenge_, answer->digest)) {
    LOG(WARNING) << "Authentication failure of principal '" << answer->principal << "' at "
                 << authenticatee_.str() << ": "
                 << (secret != nullptr ? "authentication failure" : "user not found");
    transport_.send(
        wire::makeMessage(self_, authenticatee_, internal::AuthenticationFailedMessage()));
    finish({SessionResult::kRefused, answer->principal, ""});
    return;
  }
  VLOG(1) << "Authentication success of principal '" << answer->principal << "'";
  transport_.send(
      wire::makeMessage(self_, authenticatee_, internal::AuthenticationCompletedMessage()));
  finish({SessionResult::kSucceeded, answer->principal, ""});
}

void CramMd5AuthenticatorSession::discard() {
  if (!finished()) {
    finish({SessionResult::kDiscarded, "", "Authentication discarded"});
  }
}

void CramMd5AuthenticatorSession::fail(const std::string& error) {
  LOG(WARNING) << "Authentication error with " << authenticatee_.str() << ": " << error;
  internal::AuthenticationErrorMessage message;
  message.set_error(error);
  transport_.send(wire::makeMessage(self_, authenticatee_, message));
  finish({SessionResult::kError, "", error});
}

void CramMd5AuthenticatorSession::finish(SessionResult result) {
  if (finished()) {
    return;
  }
  status_ = kFinished;
  if (done_) {
    Done done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }
}

}  // namespace keel::auth
