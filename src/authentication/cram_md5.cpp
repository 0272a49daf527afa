#include "authentication/cram_md5.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

namespace keel::auth {

std::string hmacMd5Hex(std::string_view secret, std::string_view challenge) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_md5(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

std::string cramMd5Response(std::string_view principal, std::string_view secret,
                            std::string_view challenge) {
  std::string answer(principal);
  answer += ' ';
  answer += hmacMd5Hex(secret, challenge);
  return answer;
}

std::string cramMd5Challenge(uint32_t random, int64_t unix_seconds, std::string_view hostname) {
  const int64_t time_part = unix_seconds % 0xFFFFFF;
  std::string challenge = "<" + std::to_string(random) + "." + std::to_string(time_part) + "@";
  challenge += hostname;
  challenge += ">";
  return challenge;
}

std::optional<CramMd5Answer> parseCramMd5Answer(std::string_view data) {
  const size_t space = data.rfind(' ');
  if (space == std::string_view::npos || space == 0) {
    return std::nullopt;
  }
  std::string_view digest = data.substr(space + 1);
  if (digest.size() != 32) {
    return std::nullopt;
  }
  CramMd5Answer answer;
  answer.principal = std::string(data.substr(0, space));
  for (char c : digest) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    answer.digest.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return answer;
}

bool verifyCramMd5Digest(std::string_view secret, std::string_view challenge,
                         std::string_view digest) {
  const std::string expected = hmacMd5Hex(secret, challenge);
  if (digest.size() != expected.size()) {
    return false;
  }
  unsigned char differences = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    differences |= static_cast<unsigned char>(expected[i] ^
                                              std::tolower(static_cast<unsigned char>(digest[i])));
  }
  return differences == 0;
}

}  // namespace keel::auth
