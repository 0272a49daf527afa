#include "harness.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <vector>

#include "common/master_flags.hpp"
#include "master/master.hpp"

namespace keel::bench {

namespace {

// The simulation notifies after nearly every message it handles; waking the waiting thread
// each time costs a context switch per message on the cores the simulation and the master
// share. So a notification goes out at most once per kNotifyGap, and waiters look at their
// predicate at least every kPollInterval whether notified or not.
constexpr auto kNotifyGap = std::chrono::milliseconds(1);
constexpr auto kPollInterval = std::chrono::milliseconds(2);
std::atomic<Clock::rep> last_notify{0};

}  // namespace

bool Notifier::waitFor(const std::string& what, const std::function<bool()>& pred,
                       const std::function<std::string()>& progress, Clock::time_point deadline) {
  auto next_print = Clock::now() + std::chrono::seconds(1);
  std::unique_lock lock(mutex_);
  while (!pred()) {
    auto now = Clock::now();
    if (now >= deadline) {
      std::fprintf(stderr, "[%s] timed out: %s\n", what.c_str(), progress().c_str());
      return false;
    }
    if (now >= next_print) {
      std::fprintf(stderr, "[%s] %s\n", what.c_str(), progress().c_str());
      next_print = now + std::chrono::seconds(1);
    }
    cv_.wait_until(lock, std::min({deadline, next_print, now + kPollInterval}));
  }
  return true;
}

void Notifier::notify() {
  const Clock::rep now = Clock::now().time_since_epoch().count();
  Clock::rep last = last_notify.load(std::memory_order_relaxed);
  if (now - last < std::chrono::duration_cast<Clock::duration>(kNotifyGap).count() ||
      !last_notify.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    return;  // one went out just now; a waiter polls soon anyway
  }
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
}

Result<std::unique_ptr<Harness>> Harness::create(const Options& options) {
  std::unique_ptr<Harness> h(new Harness());
  h->options_ = options;
  auto t = wire::TcpTransport::create(h->sim_loop_, wire::TcpOptions{});
  if (!t) return Status::error("simulation transport: " + t.message());
  h->sim_transport_ = std::move(*t);
  h->sim_loop_.start();
  if (options.master.empty()) {
    if (Status s = h->startMaster(); !s.isOk()) return s;
  } else {
    auto pid = wire::Pid::parse("master@" + options.master);
    if (!pid) return Status::error("--master: not ip:port: " + options.master);
    if (pid->ip != "127.0.0.1") return Status::error("--master: only 127.0.0.1 is allowed");
    h->master_pid_ = *pid;
  }
  return h;
}

Status Harness::startMaster() {
  std::vector<std::string> args = {"keel-master", "--ip=127.0.0.1", "--port=0",
                                   "--allocation_interval=" + options_.allocation_interval};
  if (options_.registry == "replicated_log") {
    // A durable registry in a work dir of this run's own, kept across restartMaster() so
    // the next master recovers the agents from it, as after a real failover.
    if (!work_dir_) work_dir_ = std::make_unique<TempDir>("keel-bench-master");
    if (work_dir_->path().empty()) return Status::error("cannot create the master's work dir");
    args.push_back("--registry=replicated_log");
    args.push_back("--work_dir=" + work_dir_->path());
  } else {
    args.push_back("--registry=in_memory");
  }
  args.insert(args.end(), options_.master_flags.begin(), options_.master_flags.end());
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  auto flags = loadMasterFlags(static_cast<int>(args.size()), argv.data(), nullptr, nullptr);
  if (!flags) return Status::error("master flags: " + flags.message());
  master_loop_ = std::make_unique<runtime::EventLoop>();
  auto t = wire::TcpTransport::create(*master_loop_, wire::TcpOptions{});
  if (!t) return Status::error("master transport: " + t.message());
  master_transport_ = std::move(*t);
  master_ = std::make_unique<master::Master>(*master_loop_, *master_transport_, *flags);
  master_loop_->start();
  master_pid_ = onLoop(*master_loop_, [this] {
    master_->start();
    return master_->pid();
  });
  return Status::ok();
}

void Harness::stopMaster() {
  if (!master_loop_) return;
  // The transport goes first: it drops its links at once, so the master's teardown sends
  // nothing and tells no process of broken links.
  onLoop(*master_loop_, [this] {
    master_transport_->shutdown();
    master_.reset();
  });
  master_loop_->stop();
  master_loop_->join();
  master_transport_.reset();
  master_loop_.reset();
}

Result<wire::Pid> Harness::restartMaster() {
  if (!inProcess()) return Status::error("the master is not in this process");
  // The old master is torn down on its thread as in stopMaster(), but that thread ends only
  // once the new master's has started: glibc gives a new thread the heap arena of a thread
  // that ended, and the new master would allocate from the old one's freed, fragmented
  // heap, while a restarted master process starts with a fresh one.
  std::unique_ptr<runtime::EventLoop> old_loop = std::move(master_loop_);
  std::unique_ptr<wire::TcpTransport> old_transport = std::move(master_transport_);
  onLoop(*old_loop, [&] {
    old_transport->shutdown();
    master_.reset();
  });
  Status started = startMaster();
  old_loop->stop();
  old_loop->join();
  old_transport.reset();
  old_loop.reset();
  if (!started.isOk()) return started;
  return master_pid_;
}

Harness::~Harness() {
  onLoop(sim_loop_, [this] { sim_transport_->shutdown(); });
  sim_loop_.stop();
  sim_loop_.join();
  stopMaster();
}

}  // namespace keel::bench
