#include "executor/task_group_executor.hpp"

namespace keel::exec {

// Out of line so that the type's RTTI lives in libmesos only (the driver dynamic_casts
// to it).
TaskGroupExecutor::~TaskGroupExecutor() = default;

}  // namespace keel::exec
