#include "common/logging_flags.hpp"

#include <glog/logging.h>

namespace keel {

void LoggingFlags::declareLogging(FlagSet& s) {
  s.add("quiet", &quiet, "Disables logging to stderr.");
  s.add("logging_level", &logging_level, "Lowest level logged: INFO, WARNING or ERROR.");
  s.add("log_dir", &log_dir, "Directory for log files (default: no log files).");
  s.add("logbufsecs", &logbufsecs, "Seconds log messages may be buffered.");
  s.add("initialize_driver_logging", &initialize_driver_logging,
        "Whether drivers started in this process set up logging.");
  s.add("external_log_file", &external_log_file,
        "A log file written by something else, shown by the web UI.");
}

Status LoggingFlags::validateLogging() const {
  if (logbufsecs < 0) {
    return Status::error("Expected `--logbufsecs` to be non-negative");
  }
  if (logging_level != "INFO" && logging_level != "WARNING" && logging_level != "ERROR") {
    return Status::error("'" + logging_level +
                         "' is not a valid logging level for --logging_level: expected INFO, "
                         "WARNING or ERROR");
  }
  return Status::ok();
}

void LoggingFlags::applyLogging() const {
  FLAGS_minloglevel = logging_level == "ERROR"     ? google::GLOG_ERROR
                      : logging_level == "WARNING" ? google::GLOG_WARNING
                                                   : google::GLOG_INFO;
  FLAGS_logbufsecs = static_cast<int>(logbufsecs);
  if (log_dir) {
    FLAGS_log_dir = *log_dir;
    FLAGS_logtostderr = false;
    FLAGS_alsologtostderr = !quiet;
  } else {
    FLAGS_logtostderr = !quiet;
    // Quiet and no files: only errors still reach stderr.
    FLAGS_stderrthreshold = quiet ? google::GLOG_ERROR : google::GLOG_INFO;
  }
}

}  // namespace keel
