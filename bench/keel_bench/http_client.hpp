#pragma once

// A minimal blocking HTTP/1.1 client for keel-bench's endpoint scenarios: one keep-alive
// connection to 127.0.0.1, Content-Length bodies, every read and write bounded by a timeout.

#include <chrono>
#include <string>

#include "common/status.hpp"

namespace keel::bench {

class HttpClient {
 public:
  HttpClient(std::string address, std::chrono::milliseconds timeout);  // "ip:port"
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET `path`; the body of a 200 answer, or the error (connection, timeout, status).
  Result<std::string> get(const std::string& path);
  // The same into `body`, whose memory is reused from one call to the next (a client
  // polling a 160 MB /state keeps its buffer, as a browser or a tool would).
  Status getInto(const std::string& path, std::string* body);

 private:
  Status connect();
  void close();

  std::string address_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace keel::bench
