#include "wire/pid.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>

namespace keel::wire {

namespace {

// Resolves a hostname to its first IPv4 address; empty on failure.
std::string resolve(const std::string& host) {
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) {
    return host;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return "";
  }
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, buf, sizeof buf);
  freeaddrinfo(result);
  return buf;
}

}  // namespace

std::optional<Pid> Pid::parse(std::string_view text) {
  // Surrounding whitespace is tolerated (libprocess trims Libprocess-From).
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  size_t at = text.find('@');
  size_t colon = text.rfind(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon < at) {
    return std::nullopt;
  }
  Pid pid;
  pid.id = std::string(text.substr(0, at));
  std::string host(text.substr(at + 1, colon - at - 1));
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535 ||
      host.empty()) {
    return std::nullopt;
  }
  for (char c : pid.id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == ' ') {
      return std::nullopt;
    }
  }
  pid.ip = resolve(host);
  if (pid.ip.empty()) {
    return std::nullopt;
  }
  pid.port = static_cast<uint16_t>(port);
  return pid;
}

namespace {

void appendPort(std::string* out, std::uint16_t port) {
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
  out->append(digits, end);
}

}  // namespace

std::string Pid::str() const {
  std::string out;
  out.reserve(id.size() + ip.size() + 7);
  out += id;
  out += '@';
  out += ip;
  out += ':';
  appendPort(&out, port);
  return out;
}

std::string Pid::address() const {
  std::string out;
  out.reserve(ip.size() + 6);
  out += ip;
  out += ':';
  appendPort(&out, port);
  return out;
}

std::uint32_t packIp(const std::string& dotted) {
  in_addr addr{};
  if (inet_pton(AF_INET, dotted.c_str(), &addr) != 1) {
    return 0;
  }
  return addr.s_addr;
}

std::string unpackIp(std::uint32_t s_addr) {
  in_addr addr{};
  addr.s_addr = s_addr;
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return buf;
}

}  // namespace keel::wire
