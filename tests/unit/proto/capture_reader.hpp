#pragma once

// Test-only reader for the recorded Mesos traffic in reference/wire-captures/messages: pulls the
// protobuf bodies out of the HTTP framing each file carries.

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace keel::proto_test {

// One capture file pair: NNNN-<kind>.http and, when present, NNNN-<kind>.txt.
struct CaptureFile {
  std::string stem;       // file name without extension, e.g. "0006-mesos.scheduler.Call"
  std::string http_path;  // absolute path of the .http file
  std::string txt_path;   // absolute path of the .txt file; empty when there is none
};

// Lets GoogleTest name a parameter by its file stem instead of dumping its bytes.
inline void PrintTo(const CaptureFile& file, std::ostream* os) { *os << file.stem; }

// Every .http file in `dir`, sorted by name. Empty if the folder can't be read.
std::vector<CaptureFile> listCaptures(const std::string& dir);

// The whole file, or nullopt if it can't be read.
std::optional<std::string> readFile(const std::string& path);

// The body of an HTTP message (request or response) as raw bytes: chunked bodies are de-chunked
// (a missing terminating 0-chunk is accepted, since a recorded stream may be cut off),
// Content-Length bodies are cut to that length, and a message with neither has an empty body.
// Returns nullopt when the framing is malformed (no header end, bad chunk size, truncated data).
std::optional<std::string> httpBody(const std::string& message);

// Splits a RecordIO stream ("<decimal length>\n<bytes>" repeated) into its records. Returns
// nullopt on a malformed length or a truncated record.
std::optional<std::vector<std::string>> recordIoRecords(const std::string& stream);

// The protobuf type carried by a capture, derived from its file name: "NNNN-<full type>" for
// libprocess messages, "mesos.v1.scheduler.Call" for "…-v1-master-api-v1-scheduler" requests and
// "mesos.v1.scheduler.Event" (RecordIO) for "…-v1-response-200" streams.
std::string captureType(const std::string& stem);

// True for the v1 subscription response stream (a RecordIO sequence of Events).
bool isRecordIoStream(const std::string& stem);

}  // namespace keel::proto_test
