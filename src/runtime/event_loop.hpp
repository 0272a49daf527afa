#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "runtime/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::runtime {

using TimerId = std::uint64_t;

// One thread running a Boost.Asio io_context. Every piece of core state (a master, an
// agent, a driver) is owned by exactly one loop and touched only on its thread; other
// threads hand work to it with post(). Timers run on the loop's Clock.
class EventLoop {
 public:
  explicit EventLoop(Clock& clock = RealClock::instance());
  ~EventLoop();  // Stops and joins the thread if still running.

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts the loop's thread. Idempotent.
  void start();

  // Asks the loop to finish; pending handlers are dropped. Thread-safe; may be called
  // from the loop itself. join() waits for the thread (not from the loop thread).
  void stop();
  void join();

  // Runs fn on the loop thread, in order of posting. Thread-safe.
  void post(std::function<void()> fn);

  // Runs fn after `delay` of this loop's clock. Thread-safe. cancel() of a timer
  // that already fired or was cancelled does nothing.
  TimerId schedule(Duration delay, std::function<void()> fn);
  void cancel(TimerId id);

  bool inLoopThread() const { return std::this_thread::get_id() == thread_id_.load(); }
  Clock& clock() { return clock_; }
  boost::asio::io_context& context() { return *io_; }

  // Test helper: blocks the caller until every handler posted before this call has run.
  void drain();

  // Test helper for a loop that was never start()ed: runs every ready handler (and those
  // they post) on the calling thread, which then acts as the loop thread. Returns how
  // many ran.
  size_t poll();

 private:
  void fireDue();
  void rearm();
  void runQueue();

  Clock& clock_;
  std::unique_ptr<boost::asio::io_context> io_;
  struct Work;
  std::unique_ptr<Work> work_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::mutex timers_mutex_;
  std::multimap<TimePoint, std::pair<TimerId, std::function<void()>>> timers_;
  std::map<TimerId, TimePoint> timer_index_;
  TimerId next_timer_ = 1;
  struct AsioTimer;
  std::unique_ptr<AsioTimer> asio_timer_;
  std::atomic<bool> stopped_{false};
  std::mutex queue_mutex_;
  std::deque<std::function<void()>> queue_;  // post()ed work, run in order
  bool queue_scheduled_ = false;
};

}  // namespace keel::runtime
