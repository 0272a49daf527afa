// The scheduler driver's authentication with the master (mesos-spec §2.3): CRAM-MD5 through
// auth::CramMd5Authenticatee, each attempt bounded by a random timeout whose range grows
// after every failed attempt; registration starts only after a success.

#include <glog/logging.h>

#include <algorithm>

#include "scheduler/scheduler_process.hpp"

namespace keel::sched {

void SchedulerProcess::startAuthentication() {
  authenticate(authentication_timeout_min_,
               std::min(authentication_timeout_min_ + authentication_backoff_factor_ * 2,
                        authentication_timeout_max_));
}

void SchedulerProcess::authenticate(runtime::Duration min_timeout, runtime::Duration max_timeout) {
  if (terminated_ || !running() || !credential_) {
    return;
  }
  cancelAuthentication();

  // Like registration, tie the (re)connection to the master to the attempts.
  transport_.link(id_, master_);

  const double fraction = std::clamp(uniform01_(), 0.0, 1.0);
  const auto timeout = min_timeout + std::chrono::duration_cast<runtime::Duration>(
                                         (max_timeout - min_timeout) * fraction);
  LOG(INFO) << "Authenticating with master " << master_.str() << " (timeout "
            << runtime::formatDuration(timeout) << ")";

  authenticatee_ = std::make_unique<auth::CramMd5Authenticatee>(
      transport_, loop_, *credential_, self_,
      [this, min_timeout, max_timeout](auth::AuthenticateeResult result) {
        authenticationFinished(std::move(result), min_timeout, max_timeout);
      });
  authentication_timer_ = loop_.schedule(timeout, [this] { authenticationTimedOut(); });
  authenticatee_->authenticate(master_);
}

void SchedulerProcess::authenticationTimedOut() {
  authentication_timer_.reset();
  if (authenticatee_ && !authenticatee_->finished()) {
    LOG(WARNING) << "Authentication timed out";
    authenticatee_->discard();  // → authenticationFinished(kError) → the next attempt
    return;
  }
  if (retry_authentication_) {
    auto retry = std::move(retry_authentication_);
    retry_authentication_ = nullptr;
    retry();
  }
}

void SchedulerProcess::authenticationFinished(auth::AuthenticateeResult result,
                                              runtime::Duration min_timeout,
                                              runtime::Duration max_timeout) {
  // We are inside the authenticatee's handler: keep it alive until the next attempt.
  retired_authenticatee_ = std::move(authenticatee_);
  if (terminated_ || !running()) {
    VLOG(1) << "Ignoring the end of authentication: the driver is not running";
    return;
  }

  switch (result.kind) {
    case auth::AuthenticateeResult::kSucceeded:
      if (authentication_timer_) {
        loop_.cancel(*authentication_timer_);
        authentication_timer_.reset();
      }
      LOG(INFO) << "Successfully authenticated with master " << master_.str();
      doReliableRegistration(backoff_factor_);
      return;

    case auth::AuthenticateeResult::kRefused:
      if (authentication_timer_) {
        loop_.cancel(*authentication_timer_);
        authentication_timer_.reset();
      }
      LOG(ERROR) << "Master " << master_.str() << " refused authentication";
      error("Master refused authentication");
      return;

    case auth::AuthenticateeResult::kError: {
      LOG(INFO) << "Failed to authenticate with master " << master_.str() << ": " << result.error;
      // Widen the range: [min, min + factor * 2^n], capped at the maximum.
      const auto next_max =
          std::min(min_timeout + (max_timeout - min_timeout) * 2, authentication_timeout_max_);
      auto retry = [this, min_timeout, next_max] { authenticate(min_timeout, next_max); };
      if (authentication_timer_) {
        // The master answered with an error before the attempt's timeout: wait that out
        // rather than hammer it.
        retry_authentication_ = std::move(retry);
      } else {
        retry();  // the timeout itself ended this attempt
      }
      return;
    }
  }
}

void SchedulerProcess::cancelAuthentication() {
  if (authentication_timer_) {
    loop_.cancel(*authentication_timer_);
    authentication_timer_.reset();
  }
  retry_authentication_ = nullptr;
  if (authenticatee_) {
    // Never destroyed here from inside its own handler: that path goes through
    // authenticationFinished(), which has already moved it away.
    retired_authenticatee_ = std::move(authenticatee_);
  }
}

}  // namespace keel::sched
