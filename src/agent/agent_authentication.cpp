// The agent's authentication with the master (--credential; mesos-spec §10.1): CRAM-MD5
// through auth::CramMd5Authenticatee before every (re-)registration with a newly detected
// master. An attempt that errs or times out is retried with a wider timeout range; a
// refusal is fatal for the agent process (its executors keep running), as in Mesos.

#include <glog/logging.h>

#include <algorithm>
#include <random>

#include "agent/agent.hpp"
#include "authentication/authenticatee.hpp"

namespace keel::agent {

void Agent::authenticate(runtime::Duration min_timeout, runtime::Duration max_timeout) {
  if (state_ != State::kDisconnected || !credential_) {
    return;
  }
  cancelAuthentication();
  if (registration_timer_ != 0) {
    loop_.cancel(registration_timer_);
    registration_timer_ = 0;
  }
  if (!linked_master_) {
    transport_.link(kProcessId, master_);
    linked_master_ = true;
  }
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const double fraction = std::uniform_real_distribution<double>(0.0, 1.0)(random);
  const auto timeout = min_timeout + std::chrono::duration_cast<runtime::Duration>(
                                         (max_timeout - min_timeout) * fraction);
  LOG(INFO) << "Authenticating with master " << master_.str() << " (timeout "
            << runtime::formatDuration(timeout) << ")";
  authenticatee_ = std::make_unique<auth::CramMd5Authenticatee>(
      transport_, loop_, *credential_, self_,
      [this, min_timeout, max_timeout](auth::AuthenticateeResult result) {
        authenticationFinished(result, min_timeout, max_timeout);
      });
  authentication_timer_ = loop_.schedule(timeout, [this] {
    authentication_timer_ = 0;
    if (authenticatee_ && !authenticatee_->finished()) {
      LOG(WARNING) << "Authentication with master " << master_.str() << " timed out";
      authenticatee_->discard();  // ends as kError: the next attempt follows
    }
  });
  authenticatee_->authenticate(master_);
}

void Agent::authenticationFinished(const auth::AuthenticateeResult& result,
                                   runtime::Duration min_timeout, runtime::Duration max_timeout) {
  // Called from inside the authenticatee: keep it alive until the next attempt.
  retired_authenticatee_ = std::move(authenticatee_);
  if (authentication_timer_ != 0) {
    loop_.cancel(authentication_timer_);
    authentication_timer_ = 0;
  }
  if (state_ != State::kDisconnected) {
    return;
  }
  switch (result.kind) {
    case auth::AuthenticateeResult::kSucceeded:
      LOG(INFO) << "Successfully authenticated with master " << master_.str();
      doReliableRegistration(flags_.registration_backoff_factor * 2);
      return;
    case auth::AuthenticateeResult::kRefused: {
      const std::string reason = "Master " + master_.str() + " refused authentication";
      LOG(ERROR) << reason;
      if (on_fatal_) {
        on_fatal_(reason);
      }
      return;
    }
    case auth::AuthenticateeResult::kError: {
      LOG(WARNING) << "Failed to authenticate with master " << master_.str() << ": "
                   << result.error;
      const auto next_max =
          std::min(min_timeout + (max_timeout - min_timeout) * 2, flags_.authentication_timeout_max);
      // Not from inside the authenticatee's handler: the next attempt replaces it.
      registration_timer_ = loop_.schedule(flags_.authentication_backoff_factor,
                                           [this, min_timeout, next_max] {
                                             registration_timer_ = 0;
                                             authenticate(min_timeout, next_max);
                                           });
      return;
    }
  }
}

void Agent::cancelAuthentication() {
  if (authentication_timer_ != 0) {
    loop_.cancel(authentication_timer_);
    authentication_timer_ = 0;
  }
  if (authenticatee_) {
    retired_authenticatee_ = std::move(authenticatee_);
  }
}

}  // namespace keel::agent
