#pragma once

// Helpers for the wire tests: running code on a loop thread and waiting for it, a
// thread-safe recorder of delivered messages, and a blocking raw-socket HTTP client with
// bounded waits.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/event_loop.hpp"
#include "wire/transport.hpp"

namespace keel::wire::testing {

constexpr auto kWait = std::chrono::seconds(10);

// Runs fn on the loop's thread and returns its result (the loop must be running).
template <class F>
auto onLoop(runtime::EventLoop& loop, F&& fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::packaged_task<R()> task(std::forward<F>(fn));
  auto result = task.get_future();
  loop.post([&task] { task(); });
  if (result.wait_for(kWait) != std::future_status::ready) {
    ADD_FAILURE() << "loop did not run the task in time";
    std::abort();  // the task refers to this frame
  }
  return result.get();
}

// Collects values from any thread; waits with a bound.
template <class T>
class Recorder {
 public:
  void add(T value) {
    std::lock_guard lock(mutex_);
    values_.push_back(std::move(value));
    changed_.notify_all();
  }
  // True once at least n values arrived within the wait bound.
  bool waitFor(size_t n, std::chrono::milliseconds bound = kWait) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return values_.size() >= n; });
  }
  std::vector<T> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }
  size_t size() const {
    std::lock_guard lock(mutex_);
    return values_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> values_;
};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// A blocking loopback client over a plain socket; every wait is bounded by poll().
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // The next response, or nullopt if the connection closed or nothing came in time.
  std::optional<RawResponse> readResponse(std::chrono::milliseconds bound = kWait) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) {
        return std::nullopt;
      }
    }
    RawResponse response;
    response.head = buffer_.substr(0, end + 2);
    if (response.head.compare(0, 9, "HTTP/1.1 ") != 0 || response.head.size() < 12) {
      return std::nullopt;
    }
    response.status = std::stoi(response.head.substr(9, 3));
    size_t length = 0;
    std::string lower = response.head;
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    size_t at = lower.find("\r\ncontent-length:");
    if (at != std::string::npos) {
      length = std::stoul(lower.substr(at + 17));
    }
    buffer_.erase(0, end + 4);
    while (buffer_.size() < length) {
      if (!fill(deadline)) {
        return std::nullopt;
      }
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // True if the server closes the connection within the bound (bytes before that are
  // collected in leftover()).
  bool waitClosed(std::chrono::milliseconds bound = kWait) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (fill(deadline)) {
    }
    return closed_;
  }

  const std::string& leftover() const { return buffer_; }

 private:
  // Reads once; false on close, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return false;
    }
    char chunk[8192];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

}  // namespace keel::wire::testing
