#pragma once

// The umbrella header of the framework API: every protobuf type of package `mesos`
// (FrameworkInfo, TaskInfo, Offer, the driver `Status` enum, ...) and the version
// macros.
#include <mesos/mesos.pb.h>

#include <mesos/version.hpp>
