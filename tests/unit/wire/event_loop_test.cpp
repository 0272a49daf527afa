// Unit tests of the event loop's ordering promises: work posted runs in the order of the
// post() calls, whichever threads make them.

#include "runtime/event_loop.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace keel::runtime {
namespace {

// Ensures a post made from the loop's own thread runs before one made later by another
// thread while the first handler is still running (plain Asio would run them the other way
// round, since it holds the loop thread's posts back until the handler returns).
TEST(EventLoopTest, PostOrderHoldsAcrossThreads) {
  EventLoop loop;
  loop.start();
  std::mutex mutex;
  std::vector<std::string> order;
  std::promise<void> done;
  loop.post([&] {
    loop.post([&] {
      std::lock_guard lock(mutex);
      order.push_back("from the loop");
    });
    std::thread other([&] {
      loop.post([&] {
        std::lock_guard lock(mutex);
        order.push_back("from another thread");
        done.set_value();
      });
    });
    other.join();
  });
  ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::lock_guard lock(mutex);
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], "from the loop");
  EXPECT_EQ(order[1], "from another thread");
  loop.stop();
  loop.join();
}

// Ensures poll() on a loop that was never started runs posted work, including work posted
// by that work, and reports that something ran.
TEST(EventLoopTest, PollRunsNestedPosts) {
  ManualClock clock;
  EventLoop loop(clock);
  int ran = 0;
  loop.post([&] {
    ++ran;
    loop.post([&] { ++ran; });
  });
  EXPECT_GT(loop.poll(), 0u);
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(loop.poll(), 0u);
}

}  // namespace
}  // namespace keel::runtime
