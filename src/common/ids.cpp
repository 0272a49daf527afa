#include "common/ids.hpp"

#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>
#include <vector>

namespace keel {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// One generator per thread, seeded from the OS, so no lock is needed.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  return engine;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

std::string uuidBytes() {
  std::string bytes(16, '\0');
  uint64_t hi = generator()();
  uint64_t lo = generator()();
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<char>((hi >> (56 - 8 * i)) & 0xff);
    bytes[8 + i] = static_cast<char>((lo >> (56 - 8 * i)) & 0xff);
  }
  // Version 4 in the high nibble of byte 6; RFC 4122 variant (10xx) in byte 8.
  bytes[6] = static_cast<char>((static_cast<uint8_t>(bytes[6]) & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((static_cast<uint8_t>(bytes[8]) & 0x3f) | 0x80);
  return bytes;
}

std::string uuidString() { return uuidBytesToString(uuidBytes()); }

std::string uuidBytesToString(std::string_view bytes) {
  if (bytes.size() != 16) {
    return "";
  }
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    uint8_t b = static_cast<uint8_t>(bytes[i]);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

std::optional<std::string> uuidStringToBytes(std::string_view text) {
  if (text.size() != 36) {
    return std::nullopt;
  }
  std::string bytes;
  bytes.reserve(16);
  size_t i = 0;
  while (i < text.size()) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return std::nullopt;
      }
      ++i;
      continue;
    }
    int high = hexValue(text[i]);
    int low = hexValue(text[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes.push_back(static_cast<char>((high << 4) | low));
    i += 2;
  }
  return bytes;
}

bool isValidUuidBytes(std::string_view bytes) { return bytes.size() == 16; }

Status validateId(const std::string& id) {
  if (id.empty()) {
    return Status::error("ID must not be empty");
  }
  if (id.size() > 255) {
    return Status::error("ID must not be greater than 255 characters");
  }
  if (id == "." || id == "..") {
    return Status::error("'" + id + "' is disallowed");
  }
  for (char c : id) {
    // Ids become directory names in the agent's work_dir, hence no path separators.
    uint8_t u = static_cast<uint8_t>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\') {
      return Status::error("'" + id + "' contains invalid characters");
    }
  }
  return Status::ok();
}

std::string frameworkId(const std::string& master_id, uint64_t n) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%04llu", static_cast<unsigned long long>(n));
  return master_id + "-" + digits;
}

std::string offerId(const std::string& master_id, uint64_t n) {
  return master_id + "-O" + std::to_string(n);
}

std::string agentId(const std::string& master_id, uint64_t n) {
  return master_id + "-S" + std::to_string(n);
}

std::string hostname() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  std::string result(name.data());

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  if (getaddrinfo(result.c_str(), nullptr, &hints, &info) == 0 && info != nullptr) {
    if (info->ai_canonname != nullptr && info->ai_canonname[0] != '\0') {
      result = info->ai_canonname;
    }
    freeaddrinfo(info);
  }
  return result;
}

std::string currentUser() {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return "";
  }
  return found->pw_name;
}

}  // namespace keel
