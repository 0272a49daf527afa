#pragma once

// The datagrams between the agent's PosixProcessLauncher and keel-executor's fork server
// (`keel-executor --fork_server`, src/exe/fork_server.cpp), one SOCK_SEQPACKET packet each:
//
//   launch  (agent → server)  'L' working_dir stdout_path stderr_path argc argv… envc env…
//   started (server → agent)  'S' pid
//   failed  (server → agent)  'F' errno
//   exited  (server → agent)  'X' pid wait_status
//
// Strings are a 32-bit length and the bytes, numbers 32-bit, in the host's byte order (both
// ends are on one machine). Header-only: keel-executor includes it without the agent.

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::agent::fork_server {

// Flag that makes keel-executor a fork server on the socket at this descriptor.
constexpr const char* kFlag = "--fork_server";
constexpr int kSocketFd = 3;
// The largest launch request: a packet must fit in the socket's buffer.
constexpr size_t kMaxPacket = 192 * 1024;

struct LaunchRequest {
  std::string working_dir;
  std::string stdout_path;
  std::string stderr_path;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "KEY=VALUE"
};

inline void putInt(std::string* out, int32_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

inline void putString(std::string* out, std::string_view s) {
  putInt(out, static_cast<int32_t>(s.size()));
  out->append(s);
}

inline std::string encode(const LaunchRequest& r) {
  std::string out = "L";
  putString(&out, r.working_dir);
  putString(&out, r.stdout_path);
  putString(&out, r.stderr_path);
  putInt(&out, static_cast<int32_t>(r.argv.size()));
  for (const auto& a : r.argv) putString(&out, a);
  putInt(&out, static_cast<int32_t>(r.env.size()));
  for (const auto& e : r.env) putString(&out, e);
  return out;
}

inline std::string encodeReply(char kind, int32_t a, int32_t b = 0) {
  std::string out(1, kind);
  putInt(&out, a);
  if (kind == 'X') putInt(&out, b);
  return out;
}

// Reads what encode() and encodeReply() wrote; every read is bounds-checked.
class Reader {
 public:
  Reader(const char* data, size_t size) : p_(data), end_(data + size) {}
  bool integer(int32_t* v) {
    if (static_cast<size_t>(end_ - p_) < sizeof *v) return false;
    std::memcpy(v, p_, sizeof *v);
    p_ += sizeof *v;
    return true;
  }
  bool string(std::string* s) {
    int32_t n = 0;
    if (!integer(&n) || n < 0 || static_cast<size_t>(end_ - p_) < static_cast<size_t>(n)) {
      return false;
    }
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  bool strings(std::vector<std::string>* list) {
    int32_t n = 0;
    if (!integer(&n) || n < 0 || static_cast<size_t>(n) > static_cast<size_t>(end_ - p_)) {
      return false;
    }
    list->resize(static_cast<size_t>(n));
    for (auto& s : *list) {
      if (!string(&s)) return false;
    }
    return true;
  }
  bool done() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

inline std::optional<LaunchRequest> decode(const char* data, size_t size) {
  if (size == 0 || data[0] != 'L') return std::nullopt;
  Reader in(data + 1, size - 1);
  LaunchRequest r;
  if (!in.string(&r.working_dir) || !in.string(&r.stdout_path) || !in.string(&r.stderr_path) ||
      !in.strings(&r.argv) || !in.strings(&r.env) || !in.done() || r.argv.empty()) {
    return std::nullopt;
  }
  return r;
}

}  // namespace keel::agent::fork_server
