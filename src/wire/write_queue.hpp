#pragma once

// The bytes a server connection owes its client: small answers are gathered into one
// buffer; a large body is queued as its own buffer and written from where it lies, so a
// 160 MB /state document is not copied once more behind its header. Included only by
// tcp_transport.cpp.

#include <boost/asio/buffer.hpp>

#include <string>
#include <utility>
#include <vector>

namespace keel::wire {

class WriteQueue {
 public:
  // Bodies from this size on are queued rather than copied.
  static constexpr size_t kOwnBufferBytes = 256 * 1024;
  // A gathering buffer keeps its capacity for the next batch unless it grew beyond this.
  static constexpr size_t kKeptBufferBytes = 1 << 20;

  // Where small pieces are appended, after everything queued so far.
  std::string& buffer() { return out_; }

  // Queues `body` after what is buffered, without copying it.
  void appendOwned(std::string&& body) {
    if (!out_.empty()) parts_.push_back(std::exchange(out_, std::string()));
    parts_.push_back(std::move(body));
  }

  bool empty() const { return out_.empty() && parts_.empty(); }

  // Moves everything queued into the write in progress and names its buffers; they stay
  // valid until finished().
  const std::vector<boost::asio::const_buffer>& start() {
    buffers_.clear();
    if (parts_.empty()) {
      std::swap(in_flight_, out_);  // the two buffers trade places and keep their capacity
      out_.clear();
      buffers_.emplace_back(in_flight_.data(), in_flight_.size());
      return buffers_;
    }
    if (!out_.empty()) parts_.push_back(std::exchange(out_, std::string()));
    std::swap(in_flight_parts_, parts_);
    for (const auto& part : in_flight_parts_) buffers_.emplace_back(part.data(), part.size());
    return buffers_;
  }

  // The write in progress is done (or failed): its buffers are released.
  void finished() {
    in_flight_.clear();
    if (in_flight_.capacity() > kKeptBufferBytes) std::string().swap(in_flight_);
    in_flight_parts_.clear();
  }

 private:
  std::string out_;
  std::vector<std::string> parts_;
  std::string in_flight_;
  std::vector<std::string> in_flight_parts_;
  std::vector<boost::asio::const_buffer> buffers_;
};

}  // namespace keel::wire
