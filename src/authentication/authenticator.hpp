#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "runtime/event_loop.hpp"
#include "wire/dispatcher.hpp"
#include "wire/transport.hpp"

namespace keel::auth {

// principal -> secret, shared read-only between the master and its sessions.
using SecretStore = std::shared_ptr<const std::map<std::string, std::string>>;

// How one server session ended.
struct SessionResult {
  enum Kind {
    kSucceeded,  // AuthenticationCompletedMessage sent; `principal` is set
    kRefused,    // AuthenticationFailedMessage sent (unknown principal or wrong digest)
    kError,      // AuthenticationErrorMessage sent, or the authenticatee went away
    kDiscarded,  // discard(): nothing is sent
  };
  Kind kind = kError;
  std::string principal;
  std::string error;
};

// The master's side of one CRAM-MD5 exchange with one authenticatee (Mesos's
// `crammd5-authenticator-session(N)` process, mesos-spec §10.1):
//   start()  -> AuthenticationMechanismsMessage{["CRAM-MD5"]}
//   <- AuthenticationStartMessage{mechanism, data}
//        mechanism other than CRAM-MD5, or initial data -> AuthenticationErrorMessage
//        otherwise -> AuthenticationStepMessage{challenge}
//   <- AuthenticationStepMessage{"<principal> <digest>"}
//        -> AuthenticationCompletedMessage, or AuthenticationFailedMessage when the principal
//           is unknown or the digest is wrong, or AuthenticationErrorMessage if malformed.
// A message out of turn gets AuthenticationErrorMessage ("Unexpected authentication 'start'
// received" / "... 'step' ..."). Messages from other processes than the authenticatee are
// ignored. The session links to the authenticatee and ends with kError when it goes away.
//
// Threading: every method runs on the loop thread; `done` is called there at most once and
// must not destroy the session (post its destruction). The destructor unregisters the
// process without calling `done`.
class CramMd5AuthenticatorSession {
 public:
  using Done = std::function<void(SessionResult)>;

  struct Options {
    std::string hostname;              // in the challenge; empty: this host's name
    std::function<uint32_t()> random;  // the challenge's random part; null: random
  };

  CramMd5AuthenticatorSession(wire::Transport& transport, runtime::EventLoop& loop,
                              wire::Pid authenticatee, SecretStore secrets, Done done,
                              Options options = {});
  ~CramMd5AuthenticatorSession();

  CramMd5AuthenticatorSession(const CramMd5AuthenticatorSession&) = delete;
  CramMd5AuthenticatorSession& operator=(const CramMd5AuthenticatorSession&) = delete;

  // Registers the process, links to the authenticatee and offers the mechanisms.
  void start();

  // Ends a pending session with kDiscarded (nothing is sent). No-op once finished.
  void discard();

  bool finished() const { return status_ == kFinished; }
  const wire::Pid& self() const { return self_; }
  const wire::Pid& authenticatee() const { return authenticatee_; }

 private:
  enum State { kReady, kStarting, kStepping, kFinished };

  void onStart(const std::string& mechanism, const std::string& data);
  void onStep(const std::string& data);
  void fail(const std::string& error);  // sends AuthenticationErrorMessage
  void finish(SessionResult result);
  bool fromAuthenticatee(const wire::Pid& from) const;

  wire::Transport& transport_;
  runtime::EventLoop& loop_;
  const wire::Pid authenticatee_;
  const SecretStore secrets_;
  Done done_;
  Options options_;
  const std::string id_;
  wire::Pid self_;
  wire::Dispatcher dispatcher_;
  bool registered_ = false;
  State status_ = kReady;
  std::string challenge_;
};

}  // namespace keel::auth
