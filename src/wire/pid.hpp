#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::wire {

// A libprocess process id, `<id>@<ip>:<port>` (docs/wire-format.md). The empty pid
// renders as "@0.0.0.0:0" and means "no process".
struct Pid {
  std::string id;
  std::string ip = "0.0.0.0";  // IPv4 dotted quad
  std::uint16_t port = 0;

  // Parses "id@ip:port"; also accepts a hostname in place of the ip, which is
  // resolved. Returns nullopt for anything malformed.
  static std::optional<Pid> parse(std::string_view text);

  std::string str() const;      // "id@ip:port"
  std::string address() const;  // "ip:port"
  bool empty() const { return id.empty() && port == 0; }

  friend bool operator==(const Pid&, const Pid&) = default;
  friend auto operator<=>(const Pid&, const Pid&) = default;
};

// The IPv4 address packed the way MasterInfo.ip wants it: the raw s_addr (network order).
std::uint32_t packIp(const std::string& dotted);
std::string unpackIp(std::uint32_t s_addr);

}  // namespace keel::wire
