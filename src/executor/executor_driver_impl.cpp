#include "executor/executor_driver_impl.hpp"

#include <signal.h>
#include <unistd.h>

#include <glog/logging.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "executor/executor_process.hpp"

namespace keel::exec {

namespace {

void killProcessGroup() {
  killpg(0, SIGKILL);
  // Only reached if the signal could not be delivered to ourselves.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  std::exit(EXIT_FAILURE);
}

void exitWithMessage(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(EXIT_FAILURE);
}

}  // namespace

ExecutorDriverImpl::ExecutorDriverImpl(mesos::ExecutorDriver* self, mesos::Executor* executor,
                                       std::map<std::string, std::string> environment,
                                       ExecutorDriverDeps deps)
    : self_(self != nullptr ? self : this),
      executor_(executor),
      environment_(std::move(environment)),
      deps_(std::move(deps)) {
  if (!deps_.make_transport) {
    deps_.make_transport = defaultTransportFactory(environment_);
    if (!deps_.shutdown_linger) {
      deps_.shutdown_linger = std::chrono::milliseconds(100);
    }
  }
  if (!deps_.kill_process_group) {
    deps_.kill_process_group = killProcessGroup;
  }
  if (!deps_.fatal) {
    deps_.fatal = exitWithMessage;
  }
}

ExecutorDriverImpl::~ExecutorDriverImpl() {
  if (!loop_) {
    return;
  }
  if (loop_->inLoopThread()) {
    LOG(ERROR) << "MesosExecutorDriver destroyed from inside one of its callbacks; "
                  "leaking its thread";
    process_->markAborted();
    (void)process_.release();
    (void)transport_.release();
    (void)loop_.release();
    return;
  }
  process_->markAborted();
  ExecutorProcess* process = process_.get();
  loop_->post([process] { process->stop(); });
  auto linger = deps_.shutdown_linger.value_or(runtime::Duration::zero());
  if (linger > runtime::Duration::zero() && !loop_->clock().manual()) {
    // The transport has no flush; give queued writes a moment on the running loop.
    std::promise<void> done;
    loop_->schedule(linger, [&done] { done.set_value(); });
    done.get_future().wait();
  }
  loop_->drain();
  loop_->stop();
  loop_->join();
  process_.reset();
  transport_.reset();
  loop_.reset();
}

mesos::Status ExecutorDriverImpl::start() {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_NOT_STARTED) {
    return status_;
  }
  // Executors' output goes to sandbox files; line buffering keeps them readable live.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::setvbuf(stderr, nullptr, _IOLBF, 0);

  Result<ExecutorConfig> config = parseExecutorEnvironment(environment_);
  if (!config) {
    deps_.fatal(config.message());
    return status_ = mesos::DRIVER_ABORTED;
  }

  runtime::Clock& clock = deps_.clock != nullptr ? *deps_.clock : runtime::RealClock::instance();
  auto loop = std::make_unique<runtime::EventLoop>(clock);
  loop->start();
  std::promise<Result<std::unique_ptr<wire::Transport>>> built;
  auto future = built.get_future();
  const wire::Pid agent = config->agent;
  loop->post([&] { built.set_value(deps_.make_transport(*loop, agent)); });
  Result<std::unique_ptr<wire::Transport>> transport = future.get();
  if (!transport) {
    loop->stop();
    loop->join();
    std::string message = "Failed to start the executor driver's transport: " + transport.message();
    LOG(ERROR) << message;
    status_ = mesos::DRIVER_ABORTED;
    executor_->error(self_, message);
    return status_;
  }

  loop_ = std::move(loop);
  transport_ = std::move(transport).value();
  process_ = std::make_unique<ExecutorProcess>(
      newExecutorId(), std::move(config).value(), self_, executor_, *transport_, *loop_,
      [this] { triggerLatch(); }, deps_.kill_process_group);
  ExecutorProcess* process = process_.get();
  loop_->post([process] { process->initialize(); });
  return status_ = mesos::DRIVER_RUNNING;
}

void ExecutorDriverImpl::triggerLatch() {
  std::lock_guard lock(latch_mutex_);
  latch_triggered_ = true;
  latch_cv_.notify_all();
}

mesos::Status ExecutorDriverImpl::stop() {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING && status_ != mesos::DRIVER_ABORTED) {
    return status_;
  }
  if (process_) {
    ExecutorProcess* process = process_.get();
    loop_->post([process] { process->stop(); });
  }
  bool aborted = status_ == mesos::DRIVER_ABORTED;
  status_ = mesos::DRIVER_STOPPED;
  return aborted ? mesos::DRIVER_ABORTED : status_;
}

mesos::Status ExecutorDriverImpl::abort() {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  process_->markAborted();
  ExecutorProcess* process = process_.get();
  loop_->post([process] { process->abort(); });
  return status_ = mesos::DRIVER_ABORTED;
}

mesos::Status ExecutorDriverImpl::join() {
  {
    std::lock_guard lock(mutex_);
    if (status_ != mesos::DRIVER_RUNNING) {
      return status_;
    }
  }
  {
    std::unique_lock lock(latch_mutex_);
    latch_cv_.wait(lock, [this] { return latch_triggered_; });
  }
  std::lock_guard lock(mutex_);
  return status_;
}

mesos::Status ExecutorDriverImpl::run() {
  mesos::Status status = start();
  return status != mesos::DRIVER_RUNNING ? status : join();
}

mesos::Status ExecutorDriverImpl::sendStatusUpdate(const mesos::TaskStatus& status) {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  ExecutorProcess* process = process_.get();
  loop_->post([process, status] { process->sendStatusUpdate(status); });
  return status_;
}

mesos::Status ExecutorDriverImpl::sendFrameworkMessage(const std::string& data) {
  std::lock_guard lock(mutex_);
  if (status_ != mesos::DRIVER_RUNNING) {
    return status_;
  }
  ExecutorProcess* process = process_.get();
  loop_->post([process, data] { process->sendFrameworkMessage(data); });
  return status_;
}

}  // namespace keel::exec
