#pragma once

#include <functional>
#include <memory>
#include <string>

#include <mesos/mesos.pb.h>

#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::auth {

// How one authentication attempt ended, seen from the client.
struct AuthenticateeResult {
  enum Kind {
    kSucceeded,  // AuthenticationCompletedMessage
    kRefused,    // AuthenticationFailedMessage, or no secret to authenticate with
    kError,      // AuthenticationErrorMessage, a protocol violation, or discard()
  };
  Kind kind = kError;
  std::string error;  // for kError
};

// The CRAM-MD5 client (Mesos's `crammd5-authenticatee(N)` process, mesos-spec §10.1). One
// object runs one attempt for `client` (the pid being authenticated, e.g. the scheduler's):
//   -> master      AuthenticateMessage{pid = client}
//   <- session     AuthenticationMechanismsMessage   -> StartMessage{"CRAM-MD5", data ""}
//   <- session     AuthenticationStepMessage{challenge}
//                                                    -> StepMessage{"<principal> <hmac>"}
//   <- session     AuthenticationCompleted/Failed/ErrorMessage
// It has no timeout of its own: the owner bounds the attempt and calls discard().
//
// Threading: every method runs on the transport's loop thread; `done` is called there, at
// most once. The object must outlive the attempt and must not be destroyed from inside
// `done` (post its destruction to the loop instead). The destructor unregisters the
// process without calling `done`.
class CramMd5Authenticatee {
 public:
  using Done = std::function<void(AuthenticateeResult)>;

  CramMd5Authenticatee(wire::Transport& transport, runtime::EventLoop& loop,
                       mesos::Credential credential, wire::Pid client, Done done);
  ~CramMd5Authenticatee();

  CramMd5Authenticatee(const CramMd5Authenticatee&) = delete;
  CramMd5Authenticatee& operator=(const CramMd5Authenticatee&) = delete;

  // Registers the process and sends AuthenticateMessage to `master`. A credential without a
  // secret ends the attempt as kRefused (posted, never from inside this call).
  void authenticate(const wire::Pid& master);

  // Ends a pending attempt with kError "Authentication discarded". No-op once finished.
  void discard();

  bool finished() const { return status_ >= kCompleted; }
  const wire::Pid& self() const { return self_; }

 private:
  enum State { kReady, kStarting, kStepping, kAnswered, kCompleted };

  void mechanisms(const wire::Pid& from, const std::vector<std::string>& mechanisms);
  void step(const wire::Pid& from, const std::string& challenge);
  void completed();
  void finish(AuthenticateeResult::Kind kind, std::string error = {});
  template <class M>
  void send(const wire::Pid& to, const M& message) {
    transport_.send(wire::makeMessage(self_, to, message));
  }

  wire::Transport& transport_;
  runtime::EventLoop& loop_;
  const mesos::Credential credential_;
  const wire::Pid client_;
  Done done_;
  const std::string id_;
  wire::Pid self_;
  wire::Dispatcher dispatcher_;
  bool registered_ = false;
  State status_ = kReady;
  // Expires with this object; guards work posted to the loop.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace keel::auth
