#pragma once

// The CRAM-MD5 mechanism (RFC 2195) as Mesos 1.12 runs it inside SASL: the server sends a
// challenge "<random.time@hostname>", the client answers "<principal> <hex digest>" where
// the digest is HMAC-MD5 keyed with the shared secret over the challenge, in lowercase hex.
//
// Why not Cyrus SASL, as Mesos does: Mesos keeps the secrets in memory and had to write a
// custom SASL auxiliary-property plugin (plus process-wide SASL initialisation) to feed them
// to the library. The one mechanism Mesos ships is a challenge and one keyed hash, so doing
// it here over OpenSSL's HMAC is a few lines, needs no plugin and no global state, and is
// byte-for-byte what the SASL plugin puts on the wire.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keel::auth {

// The mechanism name as it travels in AuthenticationMechanismsMessage/StartMessage.
inline constexpr const char* kCramMd5Mechanism = "CRAM-MD5";

// HMAC-MD5(key = secret, message = challenge), as 32 lowercase hex digits.
std::string hmacMd5Hex(std::string_view secret, std::string_view challenge);

// The client's answer to `challenge`: "<principal> <hmacMd5Hex(secret, challenge)>".
std::string cramMd5Response(std::string_view principal, std::string_view secret,
                            std::string_view challenge);

// A server challenge shaped like the SASL plugin's: "<R.T@H>" with R a random 32-bit
// number, T the Unix time in seconds modulo 0xFFFFFF, both in decimal, H the host name.
std::string cramMd5Challenge(uint32_t random, int64_t unix_seconds, std::string_view hostname);

// A client answer split at its last space; nullopt when there is no space, the principal
// is empty or the digest is not 32 hex digits.
struct CramMd5Answer {
  std::string principal;
  std::string digest;  // lowercased
};
std::optional<CramMd5Answer> parseCramMd5Answer(std::string_view data);

// Whether `digest` (32 hex digits, any case) is HMAC-MD5(secret, challenge). Compares in
// constant time.
bool verifyCramMd5Digest(std::string_view secret, std::string_view challenge,
                         std::string_view digest);

}  // namespace keel::auth
