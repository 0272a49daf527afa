#include "wire/parse_ahead.hpp"

#include <pthread.h>

#include <utility>

namespace keel::wire {

ParseAhead::ParseAhead(Post post, std::function<void(Message&&)> dispatch,
                       std::function<void(const Message&)> malformed, size_t min_bytes)
    : post_(std::move(post)),
      dispatch_(std::move(dispatch)),
      malformed_(std::move(malformed)),
      min_bytes_(min_bytes) {}

ParseAhead::~ParseAhead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ParseAhead::take(Message& msg) {
  const Type* type = nullptr;
  if (msg.body.size() >= min_bytes_) {
    auto it = types_.find(msg.name);
    if (it != types_.end()) type = &it->second;
  }
  if (type == nullptr && order_.empty()) return false;
  auto slot = std::make_shared<Slot>();
  slot->msg = std::move(msg);
  slot->type = type;
  order_.push_back(slot);
  if (type != nullptr) {
    if (!thread_.joinable()) thread_ = std::thread([this] { threadMain(); });
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake = jobs_.empty() && !busy_;
      jobs_.push_back(std::move(slot));
    }
    if (wake) cv_.notify_one();
  }
  return true;
}

bool ParseAhead::queue(std::function<void()>& fn) {
  if (order_.empty()) return false;
  auto slot = std::make_shared<Slot>();
  slot->call = std::move(fn);
  order_.push_back(std::move(slot));
  return true;
}

void ParseAhead::waitParsed() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return stop_ || (jobs_.empty() && !busy_); });
}

void ParseAhead::drain() {
  // seq_cst throughout: a thread that finds a drain already posted must be sure this drain
  // sees its result.
  drain_posted_.store(false);
  if (draining_) return;  // a handler's nested drain: the outer loop goes on
  draining_ = true;
  while (!order_.empty()) {
    Slot& head = *order_.front();
    if (head.type != nullptr && !head.ready.load()) break;
    std::shared_ptr<Slot> slot = std::move(order_.front());
    order_.pop_front();
    if (slot->call) {
      slot->call();
    } else if (slot->type == nullptr) {
      dispatch_(std::move(slot->msg));
    } else if (slot->parsed == nullptr) {
      malformed_(slot->msg);
    } else {
      slot->type->handle(slot->msg.from, std::move(slot->parsed));
    }
  }
  draining_ = false;
}

void ParseAhead::threadMain() {
  pthread_setname_np(pthread_self(), "keel-parse");
  std::weak_ptr<char> alive = alive_;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    std::shared_ptr<Slot> slot = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    slot->parsed = slot->type->parse(slot->msg.body);
    // The body is needed again only to report a malformed message.
    if (slot->parsed != nullptr) std::string().swap(slot->msg.body);
    slot->ready.store(true);
    slot.reset();
    // One drain on its way at a time: it hands on everything ready when it runs.
    if (!drain_posted_.exchange(true)) {
      post_([this, alive] {
        if (alive.lock()) drain();
      });
    }
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) idle_cv_.notify_all();
  }
}

}  // namespace keel::wire
