#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/flags.hpp"
#include "common/status.hpp"

namespace keel {

// Mesos's logging flags, shared by the master and the agent (MasterFlags and AgentFlags
// derive from it, so the members read as flags.log_dir etc.).
struct LoggingFlags {
  bool quiet = false;
  std::string logging_level = "INFO";
  std::optional<std::string> log_dir;
  int64_t logbufsecs = 0;
  bool initialize_driver_logging = true;
  std::optional<std::string> external_log_file;

  // Declares the flags on `set`, bound to the members above.
  void declareLogging(FlagSet& set);

  // logbufsecs non-negative; logging_level INFO, WARNING or ERROR.
  Status validateLogging() const;

  // Configures glog as Mesos does: files in --log_dir if given, stderr unless --quiet,
  // nothing below --logging_level. Call once, after google::InitGoogleLogging().
  void applyLogging() const;
};

}  // namespace keel
