#include "authentication/authenticatee.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include <mesos/authentication/authentication.pb.h>

#include "authentication/cram_md5.hpp"

namespace keel::auth {

namespace {

namespace internal = mesos::internal;

std::string nextAuthenticateeId() {
  static std::atomic<uint64_t> next{1};
  return "crammd5-authenticatee(" + std::to_string(next.fetch_add(1)) + ")";
}

}  // namespace

CramMd5Authenticatee::CramMd5Authenticatee(wire::Transport& transport, runtime::EventLoop& loop,
                                           mesos::Credential credential, wire::Pid client,
                                           Done done)
    : transport_(transport),
      loop_(loop),
      credential_(std::move(credential)),
      client_(std::move(client)),
      done_(std::move(done)),
      id_(nextAuthenticateeId()) {
  dispatcher_.on<internal::AuthenticationMechanismsMessage>(
      [this](const wire::Pid& from, internal::AuthenticationMechanismsMessage&& m) {
        mechanisms(from, {m.mechanisms().begin(), m.mechanisms().end()});
      });
  dispatcher_.on<internal::AuthenticationStepMessage>(
      [this](const wire::Pid& from, internal::AuthenticationStepMessage&& m) {
        step(from, m.data());
      });
  dispatcher_.on<internal::AuthenticationCompletedMessage>(
      [this](const wire::Pid&, internal::AuthenticationCompletedMessage&&) { completed(); });
  dispatcher_.on<internal::AuthenticationFailedMessage>(
      [this](const wire::Pid&, internal::AuthenticationFailedMessage&&) {
        finish(AuthenticateeResult::kRefused);
      });
  dispatcher_.on<internal::AuthenticationErrorMessage>(
      [this](const wire::Pid&, internal::AuthenticationErrorMessage&& m) {
        finish(AuthenticateeResult::kError, "Authentication error: " + m.error());
      });
}

CramMd5Authenticatee::~CramMd5Authenticatee() {
  if (registered_) {
    transport_.removeProcess(id_);
  }
}

void CramMd5Authenticatee::authenticate(const wire::Pid& master) {
  if (status_ != kReady) {
    return;
  }
  self_ = transport_.pidOf(id_);
  transport_.addProcess(id_, wire::ProcessHandlers{[this](wire::Message&& msg) {
                                                     return dispatcher_.dispatch(std::move(msg));
                                                   },
                                                   nullptr});
  registered_ = true;

  if (!credential_.has_secret()) {
    LOG(WARNING) << "Authentication failed; secret needed by CRAM-MD5 authenticatee";
    status_ = kStarting;
    // Never call back from inside authenticate(); the owner may not be ready for it.
    loop_.post([this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) {
        finish(AuthenticateeResult::kRefused);
      }
    });
    return;
  }

  LOG(INFO) << "Authenticating " << client_.str() << " with " << master.str() << " as principal '"
            << credential_.principal() << "' (" << self_.str() << ")";
  internal::AuthenticateMessage message;
  message.set_pid(client_.str());
  send(master, message);
  status_ = kStarting;
}

void CramMd5Authenticatee::mechanisms(const wire::Pid& from,
                                      const std::vector<std::string>& mechanisms) {
  if (finished()) {
    return;
  }
  if (status_ != kStarting) {
    finish(AuthenticateeResult::kError, "Unexpected authentication 'mechanisms' received");
    return;
  }
  if (std::find(mechanisms.begin(), mechanisms.end(), kCramMd5Mechanism) == mechanisms.end()) {
    std::string offered;
    for (const auto& m : mechanisms) {
      offered += (offered.empty() ? "" : ",") + m;
    }
    finish(AuthenticateeResult::kError,
           "Failed to start the SASL client: no mechanism available among '" + offered + "'");
    return;
  }
  VLOG(1) << "Attempting to authenticate with mechanism '" << kCramMd5Mechanism << "'";
  internal::AuthenticationStartMessage message;
  message.set_mechanism(kCramMd5Mechanism);
  message.set_data("");  // CRAM-MD5 has no initial response; Mesos sends the empty field.
  send(from, message);
  status_ = kStepping;
}

void CramMd5Authenticatee::step(const wire::Pid& from, const std::string& challenge) {
  if (finished()) {
    return;
  }
  if (status_ != kStepping) {
    finish(AuthenticateeResult::kError, "Unexpected authentication 'step' received");
    return;
  }
  internal::AuthenticationStepMessage message;
  message.set_data(cramMd5Response(credential_.principal(), credential_.secret(), challenge));
  send(from, message);
  status_ = kAnswered;
}

void CramMd5Authenticatee::completed() {
  if (finished()) {
    return;
  }
  if (status_ != kAnswered) {
    finish(AuthenticateeResult::kError, "Unexpected authentication 'completed' received");
    return;
  }
  finish(AuthenticateeResult::kSucceeded);
}

void CramMd5Authenticatee::discard() {
  finish(AuthenticateeResult::kError, "Authentication discarded");
}

void CramMd5Authenticatee::finish(AuthenticateeResult::Kind kind, std::string error) {
  if (finished()) {
    return;
  }
  status_ = kCompleted;
  switch (kind) {
    case AuthenticateeResult::kSucceeded:
      LOG(INFO) << "Authentication success";
      break;
    case AuthenticateeResult::kRefused:
      LOG(WARNING) << "Authentication refused";
      break;
    case AuthenticateeResult::kError:
      LOG(WARNING) << "Authentication failed: " << error;
      break;
  }
  if (done_) {
    Done done = std::move(done_);
    done_ = nullptr;
    done(AuthenticateeResult{kind, std::move(error)});
  }
}

}  // namespace keel::auth
