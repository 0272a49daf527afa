// An example custom executor written only against Mesos's public API (<mesos/executor.hpp>).
// Each task it receives "works" for a few milliseconds, reports its progress to the
// scheduler with a framework message, and finishes. A framework message "ping" from the
// scheduler is answered with "pong".

#include <mesos/executor.hpp>

#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

class ExampleExecutor : public mesos::Executor {
 public:
  ~ExampleExecutor() override {
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

  void registered(mesos::ExecutorDriver*, const mesos::ExecutorInfo& executor,
                  const mesos::FrameworkInfo& framework, const mesos::SlaveInfo& agent) override {
    std::cerr << "Executor " << executor.executor_id().value() << " registered on "
              << agent.hostname() << " for framework " << framework.name() << std::endl;
  }

  void reregistered(mesos::ExecutorDriver*, const mesos::SlaveInfo&) override {}
  void disconnected(mesos::ExecutorDriver*) override {}

  void launchTask(mesos::ExecutorDriver* driver, const mesos::TaskInfo& task) override {
    mesos::TaskStatus status;
    *status.mutable_task_id() = task.task_id();
    status.set_state(mesos::TASK_RUNNING);
    driver->sendStatusUpdate(status);

    // The work happens off the driver's thread so the executor keeps handling messages.
    std::lock_guard lock(mutex_);
    workers_.emplace_back([driver, task] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      driver->sendFrameworkMessage("done " + task.task_id().value());
      mesos::TaskStatus finished;
      *finished.mutable_task_id() = task.task_id();
      finished.set_state(mesos::TASK_FINISHED);
      finished.set_message("Example work completed");
      driver->sendStatusUpdate(finished);
    });
  }

  void killTask(mesos::ExecutorDriver* driver, const mesos::TaskID& task_id) override {
    mesos::TaskStatus status;
    *status.mutable_task_id() = task_id;
    status.set_state(mesos::TASK_KILLED);
    driver->sendStatusUpdate(status);
  }

  void frameworkMessage(mesos::ExecutorDriver* driver, const std::string& data) override {
    if (data == "ping") {
      driver->sendFrameworkMessage("pong");
    }
  }

  void shutdown(mesos::ExecutorDriver* driver) override {
    std::cerr << "Executor asked to shut down" << std::endl;
    driver->stop();
  }

  void error(mesos::ExecutorDriver*, const std::string& message) override {
    std::cerr << "Executor error: " << message << std::endl;
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

}  // namespace

int main() {
  ExampleExecutor executor;
  mesos::MesosExecutorDriver driver(&executor);
  return driver.run() == mesos::DRIVER_STOPPED ? 0 : 1;
}
