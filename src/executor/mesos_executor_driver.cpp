// The public MesosExecutorDriver: a thin shell over ExecutorDriverImpl.

#include <mesos/executor.hpp>

#include "executor/executor_driver_impl.hpp"

extern char** environ;

namespace mesos {

namespace {

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text = *entry;
    auto equals = text.find('=');
    if (equals != std::string::npos) {
      env.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
  }
  return env;
}

}  // namespace

struct MesosExecutorDriver::Impl {
  Impl(ExecutorDriver* self, Executor* executor, std::map<std::string, std::string> env)
      : core(self, executor, std::move(env)) {}

  keel::exec::ExecutorDriverImpl core;
};

MesosExecutorDriver::MesosExecutorDriver(Executor* executor)
    : MesosExecutorDriver(executor, processEnvironment()) {}

MesosExecutorDriver::MesosExecutorDriver(Executor* executor,
                                         const std::map<std::string, std::string>& environment)
    : impl_(std::make_unique<Impl>(this, executor, environment)) {}

MesosExecutorDriver::~MesosExecutorDriver() = default;

Status MesosExecutorDriver::start() { return impl_->core.start(); }
Status MesosExecutorDriver::stop() { return impl_->core.stop(); }
Status MesosExecutorDriver::abort() { return impl_->core.abort(); }
Status MesosExecutorDriver::join() { return impl_->core.join(); }
Status MesosExecutorDriver::run() { return impl_->core.run(); }

Status MesosExecutorDriver::sendStatusUpdate(const TaskStatus& status) {
  return impl_->core.sendStatusUpdate(status);
}

Status MesosExecutorDriver::sendFrameworkMessage(const std::string& data) {
  return impl_->core.sendFrameworkMessage(data);
}

}  // namespace mesos
