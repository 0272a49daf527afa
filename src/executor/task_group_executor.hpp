#pragma once

// Keel extension to the v0 executor API (not part of Mesos's include/mesos/executor.hpp).
//
// Mesos delivers a LAUNCH_GROUP to its executors only through the v1 HTTP API. Keel's
// agent hands a task group to a v0 (driver) executor as one RunTaskGroupMessage
// {framework, executor, task_group}. Keel's MesosExecutorDriver then:
//  - if the mesos::Executor also derives from keel::exec::TaskGroupExecutor, calls
//    launchTaskGroup() once with the whole group (so the executor knows which tasks
//    belong together);
//  - otherwise calls Executor::launchTask() for each task of the group, in order.
// Either way every task counts as unacknowledged until its terminal update is
// acknowledged, exactly as for RunTaskMessage.

#include <mesos/mesos.pb.h>
#include <mesos/executor.hpp>

namespace keel::exec {

class TaskGroupExecutor {
 public:
  virtual ~TaskGroupExecutor();

  // Called on the driver's thread, like the other Executor callbacks, with the tasks of
  // one LAUNCH_GROUP (each carrying the group's ExecutorInfo in `executor`).
  virtual void launchTaskGroup(mesos::ExecutorDriver* driver,
                               const mesos::TaskGroupInfo& task_group) = 0;
};

}  // namespace keel::exec
