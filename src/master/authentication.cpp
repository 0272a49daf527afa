// Framework authentication in the master (spec §2.3, §3.2 step 3, §10.1): AuthenticateMessage
// starts a CRAM-MD5 session with the authenticatee; a success is remembered as pid → principal
// until that pid goes away; SUBSCRIBE consults it.

#include <glog/logging.h>
#include <mesos/authentication/authentication.pb.h>

#include "authentication/authenticator.hpp"
#include "authentication/credentials.hpp"
#include "master/master.hpp"

namespace keel::master {

struct Master::AuthenticationState {
  explicit AuthenticationState(runtime::EventLoop& loop) : loop(loop) {}
  ~AuthenticationState() {
    for (auto& [pid, pending] : authenticating) {
      loop.cancel(pending.timer);
    }
  }

  struct Pending {
    uint64_t attempt = 0;
    std::unique_ptr<auth::CramMd5AuthenticatorSession> session;
    runtime::TimerId timer = 0;
    // SUBSCRIBE calls that arrived meanwhile; run after a success or a refusal.
    std::vector<std::function<void()>> queued;
  };

  runtime::EventLoop& loop;
  // False when the credentials could not be loaded: requests get "No authenticator loaded".
  bool loaded = false;
  auth::SecretStore secrets;
  std::map<wire::Pid, Pending> authenticating;     // by the pid being authenticated
  std::map<wire::Pid, std::string> authenticated;  // pid → principal
  std::vector<std::unique_ptr<auth::CramMd5AuthenticatorSession>> retired;
  uint64_t next_attempt = 1;
};

void Master::initializeAuthentication() {
  authentication_ = std::make_shared<AuthenticationState>(loop_);
  auto secrets = std::make_shared<std::map<std::string, std::string>>();
  if (flags_.credentials) {
    auto credentials = auth::readCredentials(*flags_.credentials);
    if (!credentials) {
      // keel-master refuses to start on this; an embedded master runs without authenticator.
      LOG(ERROR) << credentials.message() << " (see --credentials flag); "
                 << "only non-authenticating frameworks can register";
      return;
    }
    *secrets = auth::secretsOf(*credentials);
  } else {
    LOG(WARNING) << "No credentials provided, authentication requests will be refused";
  }
  authentication_->secrets = std::move(secrets);
  authentication_->loaded = true;
  LOG(INFO) << "Using default 'crammd5' authenticator";
  LOG(INFO) << (flags_.authenticate_frameworks
                    ? "Master only allowing authenticated frameworks to register"
                    : "Master allowing unauthenticated frameworks to register");
  LOG(INFO) << (flags_.authenticate_agents
                    ? "Master only allowing authenticated agents to register"
                    : "Master allowing unauthenticated agents to register");
}

void Master::authenticate(const wire::Pid& from, const wire::Pid& pid) {
  AuthenticationState& state = *authentication_;
  // Sessions that ended in their own handlers; none is running now.
  state.retired.clear();
  const bool erased = state.authenticated.erase(pid) > 0;

  if (!state.loaded) {
    LOG(ERROR) << "Received authentication request from " << pid.str()
               << " but authenticator is not loaded";
    mesos::internal::AuthenticationErrorMessage error;
    error.set_error("No authenticator loaded");
    send(from, error);
    return;
  }

  auto existing = state.authenticating.find(pid);
  if (existing != state.authenticating.end()) {
    // The client lost interest in the old attempt; its queued SUBSCRIBEs go with it.
    LOG(INFO) << "Re-authenticating " << pid.str() << "; discarding outstanding authentication";
    loop_.cancel(existing->second.timer);
    auto old = std::move(existing->second.session);
    state.authenticating.erase(existing);
    old->discard();  // its result is stale now and ignored
  } else {
    LOG(INFO) << "Authenticating " << pid.str()
              << (erased ? "; clearing previous authentication" : "");
  }

  const uint64_t attempt = state.next_attempt++;
  auth::CramMd5AuthenticatorSession::Options options;
  options.hostname = info_.hostname();
  auto finished = [this, pid, attempt](auth::SessionResult result) {
    AuthenticationState& state = *authentication_;
    auto it = state.authenticating.find(pid);
    if (it == state.authenticating.end() || it->second.attempt != attempt) {
      LOG(INFO) << "Ignoring stale authentication result of " << pid.str();
      return;
    }
    loop_.cancel(it->second.timer);
    std::vector<std::function<void()>> queued = std::move(it->second.queued);
    // We may be inside the session's own handler: free it from the loop.
    state.retired.push_back(std::move(it->second.session));
    state.authenticating.erase(it);
    loop_.post([weak = std::weak_ptr<AuthenticationState>(authentication_)] {
      if (auto alive = weak.lock()) {
        alive->retired.clear();
      }
    });

    switch (result.kind) {
      case auth::SessionResult::kSucceeded:
        LOG(INFO) << "Successfully authenticated principal '" << result.principal << "' at "
                  << pid.str();
        state.authenticated[pid] = result.principal;
        // Forget the principal when the pid goes away (exited()).
        transport_.link("master", pid);
        break;
      case auth::SessionResult::kRefused:
        LOG(INFO) << "Authentication of " << pid.str() << " was unsuccessful: Invalid credentials";
        break;
      case auth::SessionResult::kError:
        LOG(WARNING) << "An error ocurred while attempting to authenticate " << pid.str() << ": "
                     << result.error;
        queued.clear();
        break;
      case auth::SessionResult::kDiscarded:
        LOG(INFO) << "Authentication of " << pid.str() << " was discarded";
        queued.clear();
        break;
    }
    for (auto& retry : queued) {
      defer(std::move(retry));
    }
  };

  AuthenticationState::Pending pending;
  pending.attempt = attempt;
  pending.session = std::make_unique<auth::CramMd5AuthenticatorSession>(
      transport_, loop_, from, state.secrets, std::move(finished), std::move(options));
  pending.timer = after(flags_.authentication_v0_timeout, [this, pid, attempt] {
    auto it = authentication_->authenticating.find(pid);
    if (it != authentication_->authenticating.end() && it->second.attempt == attempt) {
      LOG(WARNING) << "Authentication timed out";
      it->second.session->discard();  // ends in the `finished` callback above
    }
  });
  auth::CramMd5AuthenticatorSession* session = pending.session.get();
  state.authenticating[pid] = std::move(pending);
  session->start();
}

bool Master::authenticating(const wire::Pid& pid) const {
  return authentication_->authenticating.count(pid) > 0;
}

bool Master::deferWhileAuthenticating(const wire::Pid& pid, std::function<void()> retry) {
  auto it = authentication_->authenticating.find(pid);
  if (it == authentication_->authenticating.end()) {
    return false;
  }
  LOG(INFO) << "Queuing up a (re-)registration from " << pid.str()
            << " because authentication is still in progress";
  it->second.queued.push_back(std::move(retry));
  return true;
}

std::optional<std::string> Master::checkFrameworkAuthentication(const wire::Pid& from,
                                                                mesos::FrameworkInfo* info) {
  const AuthenticationState& state = *authentication_;
  if (state.authenticating.count(from) > 0) {
    return "Re-authentication in progress";
  }
  auto it = state.authenticated.find(from);
  if (flags_.authenticate_frameworks && it == state.authenticated.end()) {
    return "Framework at " + from.str() + " is not authenticated";
  }
  if (it == state.authenticated.end()) {
    return std::nullopt;
  }
  if (info->has_principal() && info->principal() != it->second) {
    return "Framework principal '" + info->principal() +
           "' does not match authenticated principal '" + it->second + "'";
  }
  if (!info->has_principal()) {
    LOG(WARNING) << "Setting 'principal' in FrameworkInfo to '" << it->second
                 << "' because the framework authenticated with that principal but did not "
                    "set it in FrameworkInfo";
    info->set_principal(it->second);
  }
  return std::nullopt;
}

bool Master::agentMayRegister(const wire::Pid& from) const {
  if (!flags_.authenticate_agents) {
    return true;
  }
  if (authentication_ && authentication_->authenticated.count(from) > 0) {
    return true;
  }
  // Mesos drops the message without an answer; the agent authenticates and retries.
  LOG(WARNING) << "Refusing (re-)registration of agent at " << from.str()
               << " because it is not authenticated";
  return false;
}

void Master::forgetAuthentication(const wire::Pid& pid) {
  if (authentication_ && authentication_->authenticated.erase(pid) > 0) {
    VLOG(1) << "Forgot the authentication of " << pid.str();
  }
}

}  // namespace keel::master
