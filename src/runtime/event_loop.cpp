#include "runtime/event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>

namespace keel::runtime {

namespace asio = boost::asio;

struct EventLoop::Work {
  asio::executor_work_guard<asio::io_context::executor_type> guard;
};

struct EventLoop::AsioTimer {
  explicit AsioTimer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

EventLoop::EventLoop(Clock& clock)
    : clock_(clock),
      io_(std::make_unique<asio::io_context>(1)),
      work_(std::make_unique<Work>(Work{asio::make_work_guard(*io_)})),
      asio_timer_(std::make_unique<AsioTimer>(*io_)) {
  if (clock_.manual()) {
    clock_.addListener(this, [this] { post([this] { fireDue(); }); });
  }
}

EventLoop::~EventLoop() {
  if (clock_.manual()) {
    clock_.removeListener(this);
  }
  stop();
  if (thread_.joinable() && !inLoopThread()) {
    thread_.join();
  } else if (thread_.joinable()) {
    thread_.detach();
  }
}

void EventLoop::start() {
  if (thread_.joinable()) {
    return;
  }
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    io_->run();
  });
  // Make inLoopThread() reliable for callers that start and then post synchronously.
  std::promise<void> started;
  auto ready = started.get_future();
  post([&started] { started.set_value(); });
  ready.wait();
}

void EventLoop::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  io_->stop();
}

void EventLoop::join() {
  if (thread_.joinable() && !inLoopThread()) {
    thread_.join();
  }
}

// Asio runs handlers posted from the loop's own thread only after the running handler
// returns (they wait in a thread-private queue), while posts from other threads are queued
// at once, so two posts could run in the opposite order of their calls. Keel relies on
// post order (e.g. an executor's TASK_KILLING must leave before the TASK_KILLED another
// thread posts right after), so posts go through one FIFO of our own.
void EventLoop::post(std::function<void()> fn) {
  bool schedule = false;
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(std::move(fn));
    if (!queue_scheduled_) {
      queue_scheduled_ = true;
      schedule = true;
    }
  }
  if (schedule) {
    asio::post(*io_, [this] { runQueue(); });
  }
}

void EventLoop::runQueue() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(queue_mutex_);
    batch.swap(queue_);
    queue_scheduled_ = false;
  }
  for (auto& fn : batch) {
    fn();
  }
}

TimerId EventLoop::schedule(Duration delay, std::function<void()> fn) {
  TimerId id;
  {
    std::lock_guard lock(timers_mutex_);
    id = next_timer_++;
    TimePoint when = clock_.now() + delay;
    timers_.emplace(when, std::make_pair(id, std::move(fn)));
    timer_index_.emplace(id, when);
  }
  post([this] { rearm(); });
  return id;
}

void EventLoop::cancel(TimerId id) {
  std::lock_guard lock(timers_mutex_);
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) {
    return;
  }
  auto range = timers_.equal_range(it->second);
  for (auto t = range.first; t != range.second; ++t) {
    if (t->second.first == id) {
      timers_.erase(t);
      break;
    }
  }
  timer_index_.erase(it);
}

void EventLoop::fireDue() {
  // Fire one at a time: a handler may schedule or cancel other timers.
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(timers_mutex_);
      if (timers_.empty() || timers_.begin()->first > clock_.now()) {
        break;
      }
      auto it = timers_.begin();
      fn = std::move(it->second.second);
      timer_index_.erase(it->second.first);
      timers_.erase(it);
    }
    fn();
  }
  rearm();
}

void EventLoop::rearm() {
  if (clock_.manual()) {
    // Manual time moves only in ManualClock::advance(), which triggers fireDue(); a
    // timer already due (zero delay) fires on the next turn of the loop.
    std::lock_guard lock(timers_mutex_);
    if (!timers_.empty() && timers_.begin()->first <= clock_.now()) {
      post([this] { fireDue(); });
    }
    return;
  }
  TimePoint next;
  {
    std::lock_guard lock(timers_mutex_);
    if (timers_.empty()) {
      return;
    }
    next = timers_.begin()->first;
  }
  asio_timer_->timer.expires_at(next);
  asio_timer_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      fireDue();
    }
  });
}

size_t EventLoop::poll() {
  io_->restart();
  size_t total = 0;
  for (size_t n = io_->poll(); n > 0; n = io_->poll()) {
    total += n;
  }
  return total;
}

void EventLoop::drain() {
  if (inLoopThread()) {
    return;
  }
  std::promise<void> done;
  auto fut = done.get_future();
  post([&done] { done.set_value(); });
  fut.wait();
}

}  // namespace keel::runtime
