#pragma once

#include <mesos/mesos.pb.h>

namespace keel {

// Whether a task in `state` will never change state again (Mesos's terminal states).
// TASK_UNREACHABLE is not terminal: the agent may come back.
inline bool isTerminalState(mesos::TaskState state) {
  switch (state) {
    case mesos::TASK_FINISHED:
    case mesos::TASK_FAILED:
    case mesos::TASK_KILLED:
    case mesos::TASK_ERROR:
    case mesos::TASK_LOST:
    case mesos::TASK_DROPPED:
    case mesos::TASK_GONE:
    case mesos::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

}  // namespace keel
