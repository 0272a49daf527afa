// An example framework written only against Mesos's public API (<mesos/scheduler.hpp>).
//
// It runs --tasks tasks, alternating between command tasks (run by the agent's built-in
// command executor) and tasks on its own custom executor (example-executor), with which it
// exchanges framework messages both ways. Progress is shown on one terminal line. It exits
// 0 when every task finished, 1 otherwise.
//
//   keel-example-framework --master=127.0.0.1:5050 --tasks=120

#include <mesos/scheduler.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <string>

namespace {

struct Options {
  std::string master = "127.0.0.1:5050";
  int tasks = 100;
  std::string executor_path;
  bool quiet = false;
};

double scalar(const mesos::Offer& offer, const std::string& name) {
  double total = 0;
  for (const auto& r : offer.resources()) {
    if (r.name() == name && r.type() == mesos::Value::SCALAR) total += r.scalar().value();
  }
  return total;
}

class ExampleScheduler : public mesos::Scheduler {
 public:
  explicit ExampleScheduler(Options options) : options_(std::move(options)) {
    executor_.mutable_executor_id()->set_value("example-executor");
    executor_.set_name("Keel example executor");
    executor_.mutable_command()->set_value(options_.executor_path);
    executor_.mutable_command()->set_shell(false);
    executor_.mutable_command()->add_arguments(options_.executor_path);
    auto* cpus = executor_.add_resources();
    cpus->set_name("cpus");
    cpus->set_type(mesos::Value::SCALAR);
    cpus->mutable_scalar()->set_value(0.1);
    auto* mem = executor_.add_resources();
    mem->set_name("mem");
    mem->set_type(mesos::Value::SCALAR);
    mem->mutable_scalar()->set_value(32);
  }

  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo& master) override {
    std::cout << "Registered as framework " << id.value() << " with master " << master.pid()
              << std::endl;
  }

  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo& master) override {
    std::cout << "Re-registered with master " << master.pid() << std::endl;
  }

  void disconnected(mesos::SchedulerDriver*) override {
    std::cout << "\nDisconnected from the master" << std::endl;
  }

  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override {
    // Spread the remaining work evenly over the offers of this batch (one per agent).
    const int share = offers.empty() ? 0
                                     : (options_.tasks - launched_ + static_cast<int>(offers.size()) - 1) /
                                           static_cast<int>(offers.size());
    for (const auto& offer : offers) {
      const int limit = launched_ + share;
      double cpus = scalar(offer, "cpus");
      double mem = scalar(offer, "mem");
      std::vector<mesos::TaskInfo> tasks;
      bool executor_running = false;
      for (const auto& eid : offer.executor_ids()) {
        executor_running |= eid.value() == executor_.executor_id().value();
      }
      bool executor_charged = executor_running;
      while (launched_ < options_.tasks && launched_ < limit) {
        const bool custom = launched_ % 2 == 1;
        double need_cpus = kTaskCpus + (custom && !executor_charged ? 0.1 : 0);
        double need_mem = kTaskMem + (custom && !executor_charged ? 32 : 0);
        if (cpus < need_cpus - 1e-9 || mem < need_mem - 1e-9) break;
        cpus -= need_cpus;
        mem -= need_mem;
        executor_charged |= custom;
        tasks.push_back(makeTask(offer, launched_++, custom));
      }
      if (tasks.empty()) {
        mesos::Filters filters;
        filters.set_refuse_seconds(1);
        driver->declineOffer(offer.id(), filters);
      } else {
        driver->launchTasks(offer.id(), tasks);
      }
    }
    progress();
  }

  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID& id) override {}

  void statusUpdate(mesos::SchedulerDriver* driver, const mesos::TaskStatus& status) override {
    const std::string& id = status.task_id().value();
    switch (status.state()) {
      case mesos::TASK_RUNNING:
        running_.insert(id);
        if (custom_tasks_.count(id) && !pinged_) {
          pinged_ = true;
          driver->sendFrameworkMessage(executor_.executor_id(), status.slave_id(), "ping");
        }
        break;
      case mesos::TASK_FINISHED:
        running_.erase(id);
        finished_++;
        break;
      case mesos::TASK_FAILED:
      case mesos::TASK_KILLED:
      case mesos::TASK_LOST:
      case mesos::TASK_ERROR:
      case mesos::TASK_DROPPED:
      case mesos::TASK_GONE:
        running_.erase(id);
        failed_++;
        std::cout << "\nTask " << id << " ended in " << mesos::TaskState_Name(status.state())
                  << ": " << status.message() << std::endl;
        break;
      default:
        break;
    }
    progress();
    if (finished_ + failed_ == options_.tasks) {
      std::cout << "\nAll " << options_.tasks << " tasks done: " << finished_ << " finished, "
                << failed_ << " failed; " << messages_ << " framework messages received"
                << (pong_ ? " (ping answered with pong)" : "") << std::endl;
      driver->stop();
    }
  }

  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string& data) override {
    messages_++;
    if (data == "pong") pong_ = true;
  }

  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID& id) override {
    std::cout << "\nAgent " << id.value() << " lost" << std::endl;
  }

  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID& eid, const mesos::SlaveID&,
                    int status) override {
    std::cout << "\nExecutor " << eid.value() << " exited with status " << status << std::endl;
  }

  void error(mesos::SchedulerDriver*, const std::string& message) override {
    std::cout << "\nError: " << message << std::endl;
    failed_ = options_.tasks;
  }

  bool succeeded() const { return finished_ == options_.tasks && failed_ == 0; }

 private:
  static constexpr double kTaskCpus = 0.1;
  static constexpr double kTaskMem = 16;

  mesos::TaskInfo makeTask(const mesos::Offer& offer, int n, bool custom) {
    mesos::TaskInfo task;
    task.set_name("example task " + std::to_string(n));
    task.mutable_task_id()->set_value(std::to_string(n));
    *task.mutable_slave_id() = offer.slave_id();
    auto* cpus = task.add_resources();
    cpus->set_name("cpus");
    cpus->set_type(mesos::Value::SCALAR);
    cpus->mutable_scalar()->set_value(kTaskCpus);
    auto* mem = task.add_resources();
    mem->set_name("mem");
    mem->set_type(mesos::Value::SCALAR);
    mem->mutable_scalar()->set_value(kTaskMem);
    if (custom) {
      *task.mutable_executor() = executor_;
      custom_tasks_.insert(task.task_id().value());
    } else {
      task.mutable_command()->set_value("test -n \"$MESOS_SANDBOX\" && echo task " +
                                        std::to_string(n) + " ran in $MESOS_SANDBOX");
    }
    return task;
  }

  void progress() {
    if (options_.quiet) return;
    const int width = 40;
    int done = finished_ + failed_;
    int filled = options_.tasks == 0 ? width : done * width / options_.tasks;
    std::cout << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
              << done << "/" << options_.tasks << " done, " << running_.size() << " running, "
              << launched_ << " launched, " << failed_ << " failed " << std::flush;
  }

  Options options_;
  mesos::ExecutorInfo executor_;
  int launched_ = 0;
  int finished_ = 0;
  int failed_ = 0;
  int messages_ = 0;
  bool pinged_ = false;
  bool pong_ = false;
  std::set<std::string> running_;
  std::set<std::string> custom_tasks_;
};

std::string siblingPath(const char* argv0, const std::string& name) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string self = n > 0 ? std::string(buf, n) : std::string(argv0);
  return self.substr(0, self.rfind('/') + 1) + name;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.executor_path = siblingPath(argv[0], "keel-example-executor");
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&arg](const char* prefix) -> const char* {
      size_t n = std::strlen(prefix);
      return arg.compare(0, n, prefix) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char* v = value("--master=")) {
      options.master = v;
    } else if (const char* v = value("--tasks=")) {
      options.tasks = std::atoi(v);
    } else if (const char* v = value("--executor=")) {
      options.executor_path = v;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else {
      std::cerr << "Usage: " << argv[0]
                << " --master=HOST:PORT [--tasks=N] [--executor=PATH] [--quiet]" << std::endl;
      return 2;
    }
  }

  mesos::FrameworkInfo framework;
  framework.set_user("");  // The driver fills in the current user.
  framework.set_name("Keel example framework (C++)");
  ExampleScheduler scheduler(options);
  mesos::MesosSchedulerDriver driver(&scheduler, framework, options.master);
  mesos::Status status = driver.run();
  return status == mesos::DRIVER_STOPPED && scheduler.succeeded() ? 0 : 1;
}
