#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keel::bench {

HttpClient::HttpClient(std::string address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpClient::connect() {
  auto colon = address_.rfind(':');
  if (colon == std::string::npos) return Status::error("bad address " + address_);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address_.substr(colon + 1))));
  if (inet_pton(AF_INET, address_.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
    return Status::error("bad address " + address_);
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::error(std::string("socket: ") + std::strerror(errno));
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout_.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout_.count() % 1000) * 1000);
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::string err = std::strerror(errno);
    close();
    return Status::error("connect " + address_ + ": " + err);
  }
  return Status::ok();
}

Result<std::string> HttpClient::get(const std::string& path) {
  std::string body;
  if (Status s = getInto(path, &body); !s.isOk()) return s;
  return body;
}

Status HttpClient::getInto(const std::string& path, std::string* out) {
  if (fd_ < 0) {
    if (Status s = connect(); !s.isOk()) return s;
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + address_ + "\r\nAccept: */*\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close();
      return Status::error("send failed or timed out");
    }
    sent += static_cast<size_t>(n);
  }
  // Header, then a Content-Length body.
  auto readMore = [this]() -> bool {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  };
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!readMore()) {
      close();
      return Status::error("no response header (closed or timed out)");
    }
  }
  std::string header = buffer_.substr(0, header_end);
  int status = 0;
  if (std::sscanf(header.c_str(), "HTTP/1.%*d %d", &status) != 1) {
    close();
    return Status::error("bad status line");
  }
  size_t length = 0;
  bool have_length = false;
  size_t pos = 0;
  while ((pos = header.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (strncasecmp(header.c_str() + pos, "content-length:", 15) == 0) {
      length = std::stoul(header.substr(pos + 15));
      have_length = true;
    }
  }
  if (!have_length) {
    close();
    return Status::error("response without Content-Length");
  }
  // The body goes straight into a string of its final size (a /state body is 100+ MB:
  // growing and copying it would be the client's time, not the master's).
  std::string& body = *out;
  const size_t have = std::min(length, buffer_.size() - (header_end + 4));
  body.resize(length);
  std::memcpy(body.data(), buffer_.data() + header_end + 4, have);
  buffer_.erase(0, header_end + 4 + have);
  for (size_t got = have; got < length;) {
    ssize_t n = ::recv(fd_, body.data() + got, length - got, 0);
    if (n <= 0) {
      close();
      return Status::error("body cut short (closed or timed out)");
    }
    got += static_cast<size_t>(n);
  }
  if (status != 200) return Status::error("HTTP " + std::to_string(status));
  return Status::ok();
}

}  // namespace keel::bench
