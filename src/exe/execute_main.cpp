// keel-execute: runs one command as a task on a Keel (or Mesos) cluster, prints each state
// change and exits with the command's exit status (0 finished, N for "exit N", 1 for any
// other failure, 2 for bad usage).
//
//   keel-execute --master=127.0.0.1:5050 --name=hello --command='echo hi' [--resources=cpus:0.1;mem:32]
//                [--principal=P --secret=S] [--role=R] [--checkpoint]
//
// With --secret the framework authenticates as --principal (CRAM-MD5); a refusal ends the
// run with exit status 1, as any other failure.

#include <mesos/scheduler.hpp>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include "common/flags.hpp"
#include "common/resources.hpp"

extern char** environ;

namespace {

class ExecuteScheduler : public mesos::Scheduler {
 public:
  ExecuteScheduler(std::string name, std::string command, keel::Resources resources)
      : name_(std::move(name)), command_(std::move(command)), resources_(std::move(resources)) {}

  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override {
    std::cout << "Subscribed with ID " << id.value() << std::endl;
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {
    std::cout << "Disconnected from the master" << std::endl;
  }

  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override {
    for (const auto& offer : offers) {
      keel::Resources offered(offer.resources());
      if (launched_ || !offered.unallocated().contains(resources_)) {
        driver->declineOffer(offer.id());
        continue;
      }
      mesos::TaskInfo task;
      task.set_name(name_);
      task.mutable_task_id()->set_value(name_);
      *task.mutable_slave_id() = offer.slave_id();
      *task.mutable_resources() = resources_.proto();
      task.mutable_command()->set_value(command_);
      driver->launchTasks(offer.id(), {task});
      launched_ = true;
      std::cout << "Submitted task '" << name_ << "' to agent '" << offer.slave_id().value()
                << "'" << std::endl;
    }
  }

  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}

  void statusUpdate(mesos::SchedulerDriver* driver, const mesos::TaskStatus& status) override {
    std::cout << "Received status update " << mesos::TaskState_Name(status.state())
              << " for task '" << status.task_id().value() << "'";
    if (!status.message().empty()) std::cout << "\n  message: '" << status.message() << "'";
    if (status.has_reason()) {
      std::cout << "\n  reason: " << mesos::TaskStatus::Reason_Name(status.reason());
    }
    std::cout << std::endl;
    switch (status.state()) {
      case mesos::TASK_FINISHED:
        exit_code_ = 0;
        driver->stop();
        break;
      case mesos::TASK_FAILED: {
        exit_code_ = 1;
        std::smatch m;
        static const std::regex kExit("exited with status ([0-9]+)");
        if (std::regex_search(status.message(), m, kExit)) exit_code_ = std::stoi(m[1]);
        driver->stop();
        break;
      }
      case mesos::TASK_KILLED:
      case mesos::TASK_LOST:
      case mesos::TASK_ERROR:
      case mesos::TASK_DROPPED:
      case mesos::TASK_GONE:
      case mesos::TASK_GONE_BY_OPERATOR:
        exit_code_ = 1;
        driver->stop();
        break;
      default:
        break;
    }
  }

  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override {}
  void error(mesos::SchedulerDriver*, const std::string& message) override {
    std::cerr << "Error: " << message << std::endl;
    exit_code_ = 1;
  }

  int exitCode() const { return exit_code_; }

 private:
  std::string name_;
  std::string command_;
  keel::Resources resources_;
  bool launched_ = false;
  std::atomic<int> exit_code_{1};
};

}  // namespace

int main(int argc, char** argv) {
  keel::FlagSet set;
  std::string master;
  std::string name = "keel-execute";
  std::string command;
  std::string resources = "cpus:0.1;mem:32";
  std::string principal;
  std::string secret;
  std::string role = "*";
  bool checkpoint = false;
  set.add("master", &master, "The master to use: host:port or master@host:port");
  set.add("name", &name, "The task's name and id");
  set.add("command", &command, "The shell command to run");
  set.add("resources", &resources, "The task's resources");
  set.add("principal", &principal, "The framework's principal (also used to authenticate)");
  set.add("secret", &secret, "The secret to authenticate with (needs --principal)");
  set.add("role", &role, "The role the framework subscribes with");
  set.add("checkpoint", &checkpoint, "Whether the framework checkpoints (survives agent restarts)");
  keel::Status loaded = set.load(argc, argv, environ);
  if (set.helpRequested()) {
    std::cout << set.usage(argv[0]) << std::endl;
    return 0;
  }
  if (!loaded.isOk()) {
    std::cerr << loaded.message() << std::endl;
    return 2;
  }
  if (master.empty() || command.empty()) {
    std::cerr << "Both --master and --command are required\n" << set.usage(argv[0]) << std::endl;
    return 2;
  }
  if (!secret.empty() && principal.empty()) {
    std::cerr << "--secret needs --principal" << std::endl;
    return 2;
  }
  auto parsed = keel::Resources::parse(resources);
  if (!parsed) {
    std::cerr << "Invalid --resources: " << parsed.message() << std::endl;
    return 2;
  }
  ExecuteScheduler scheduler(name, command, *parsed);
  mesos::FrameworkInfo framework;
  framework.set_user("");
  framework.set_name("keel-execute instance with command '" + command + "'");
  framework.set_role(role);
  framework.set_checkpoint(checkpoint);
  if (!principal.empty()) framework.set_principal(principal);
  std::unique_ptr<mesos::MesosSchedulerDriver> driver;
  if (!secret.empty()) {
    mesos::Credential credential;
    credential.set_principal(principal);
    credential.set_secret(secret);
    driver = std::make_unique<mesos::MesosSchedulerDriver>(&scheduler, framework, master,
                                                           credential);
  } else {
    driver = std::make_unique<mesos::MesosSchedulerDriver>(&scheduler, framework, master);
  }
  driver->run();
  return scheduler.exitCode();
}
