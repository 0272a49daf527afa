#pragma once

// The Mesos release whose public API and wire protocol Keel provides. Frameworks
// compare these to decide which features they may use; the string forms match
// Mesos's (the *_VERSION macros are strings, the *_VERSION_NUM macros integers).
#define MESOS_VERSION "1.12.0"

#define MESOS_MAJOR_VERSION "1"
#define MESOS_MAJOR_VERSION_NUM 1

#define MESOS_MINOR_VERSION "12"
#define MESOS_MINOR_VERSION_NUM 12

#define MESOS_PATCH_VERSION "0"
#define MESOS_PATCH_VERSION_NUM 0
