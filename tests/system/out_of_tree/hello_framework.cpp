// A minimal framework that knows nothing of Keel: Mesos's public API only. It runs one
// command task and exits 0 when the task finishes.

#include <mesos/scheduler.hpp>

#include <iostream>

class Hello : public mesos::Scheduler {
 public:
  void registered(mesos::SchedulerDriver*, const mesos::FrameworkID& id,
                  const mesos::MasterInfo&) override {
    std::cout << "registered " << id.value() << std::endl;
  }
  void reregistered(mesos::SchedulerDriver*, const mesos::MasterInfo&) override {}
  void disconnected(mesos::SchedulerDriver*) override {}
  void resourceOffers(mesos::SchedulerDriver* driver,
                      const std::vector<mesos::Offer>& offers) override {
    for (const auto& offer : offers) {
      if (launched_) {
        driver->declineOffer(offer.id());
        continue;
      }
      mesos::TaskInfo task;
      task.set_name("hello");
      task.mutable_task_id()->set_value("hello");
      *task.mutable_slave_id() = offer.slave_id();
      auto* cpus = task.add_resources();
      cpus->set_name("cpus");
      cpus->set_type(mesos::Value::SCALAR);
      cpus->mutable_scalar()->set_value(0.1);
      task.mutable_command()->set_value("echo hello from an out-of-tree framework");
      driver->launchTasks(offer.id(), {task});
      launched_ = true;
    }
  }
  void offerRescinded(mesos::SchedulerDriver*, const mesos::OfferID&) override {}
  void statusUpdate(mesos::SchedulerDriver* driver, const mesos::TaskStatus& status) override {
    std::cout << mesos::TaskState_Name(status.state()) << std::endl;
    if (status.state() == mesos::TASK_FINISHED) {
      ok_ = true;
      driver->stop();
    } else if (status.state() != mesos::TASK_STARTING && status.state() != mesos::TASK_RUNNING) {
      driver->stop();
    }
  }
  void frameworkMessage(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                        const std::string&) override {}
  void slaveLost(mesos::SchedulerDriver*, const mesos::SlaveID&) override {}
  void executorLost(mesos::SchedulerDriver*, const mesos::ExecutorID&, const mesos::SlaveID&,
                    int) override {}
  void error(mesos::SchedulerDriver* driver, const std::string& message) override {
    std::cerr << "error: " << message << std::endl;
  }
  bool ok() const { return ok_; }

 private:
  bool launched_ = false;
  bool ok_ = false;
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " MASTER" << std::endl;
    return 2;
  }
  Hello scheduler;
  mesos::FrameworkInfo framework;
  framework.set_user("");
  framework.set_name("out-of-tree hello");
  mesos::MesosSchedulerDriver driver(&scheduler, framework, argv[1]);
  return driver.run() == mesos::DRIVER_STOPPED && scheduler.ok() ? 0 : 1;
}
