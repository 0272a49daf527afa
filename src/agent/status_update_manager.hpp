#pragma once

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <mesos/internal/messages.pb.h>
#include <mesos/mesos.pb.h>

#include "common/task_states.hpp"

#include "common/status.hpp"
#include "runtime/event_loop.hpp"

namespace keel::agent {

using keel::isTerminalState;

// Reliable, ordered delivery of task status updates to the master (spec §5.7).
//
// One stream per (framework, task). Only the head of a stream is in flight: it is
// handed to `forward` (with `latest_state` set to the newest state queued in the
// stream) and re-sent every 10 s, doubling up to 10 min, until the master relays the
// scheduler's acknowledgement; then the next update goes out at once. While paused
// (agent disconnected) nothing is sent; resume() re-sends every head.
//
// Streams of checkpointing frameworks carry a `task.updates` path: every accepted
// update and every acknowledgement is appended there (StatusUpdateRecord UPDATE / ACK,
// fsynced) before it takes effect, and recover() rebuilds the stream from that log after
// an agent restart, so an update is neither lost nor re-sent once acknowledged.
//
// Lives on the agent's loop: every method must be called on that loop's thread, and
// `forward` is called there. Starts paused.
class TaskStatusUpdateManager {
 public:
  static constexpr runtime::Duration kRetryMin = std::chrono::seconds(10);
  static constexpr runtime::Duration kRetryMax = std::chrono::minutes(10);

  using Forward = std::function<void(const mesos::internal::StatusUpdate&)>;

  TaskStatusUpdateManager(runtime::EventLoop& loop, Forward forward);
  ~TaskStatusUpdateManager();  // cancels every retry timer

  TaskStatusUpdateManager(const TaskStatusUpdateManager&) = delete;
  TaskStatusUpdateManager& operator=(const TaskStatusUpdateManager&) = delete;

  // Appends `update` (which must carry a 16-byte uuid in update.status().uuid()) to its
  // stream. Returns true if recorded, false for a duplicate of an update already
  // received or acknowledged (the caller still acknowledges it to the executor).
  // Errors: no uuid; an update after the stream's terminal update; failing to append
  // to `checkpoint_path` (non-empty: the framework checkpoints; the path sticks to the
  // stream) — then the update is not recorded.
  Result<bool> update(const mesos::internal::StatusUpdate& update,
                      const std::string& checkpoint_path = "");

  // Rebuilds a stream from its checkpointed log (replays UPDATE and ACK records in
  // order) without sending anything; later updates and acks append to
  // `checkpoint_path`. A stream whose terminal update was acknowledged is not created.
  // Errors: an ACK that does not match the head, or an update after a terminal one.
  Status recover(const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id,
                 const std::vector<mesos::internal::StatusUpdateRecord>& records,
                 const std::string& checkpoint_path);

  // The master relayed the scheduler's acknowledgement of `uuid`. On a match with the
  // head, pops it and sends the next one. Returns true when that closed the stream
  // (the acknowledged update was terminal). Errors: unknown stream, or a uuid that is
  // not the head (duplicate or out-of-order ack) — both are to be logged and ignored;
  // failing to checkpoint the ack (the stream is left unchanged).
  Result<bool> acknowledge(const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id,
                           const std::string& uuid);

  // Stops sending (the agent lost its master) / sends every head now and re-arms the
  // retries from 10 s (the agent (re)registered).
  void pause();
  void resume();
  bool paused() const { return paused_; }

  // Drops every stream of a framework (it is being shut down).
  void cleanup(const mesos::FrameworkID& framework_id);

  // The update in flight for a task, or nullptr if its stream is empty or absent.
  const mesos::internal::StatusUpdate* head(const mesos::FrameworkID& framework_id,
                                            const mesos::TaskID& task_id) const;

  // Number of updates queued (in flight included) for a task.
  size_t pending(const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id) const;

 private:
  using Key = std::pair<std::string, std::string>;  // (framework id, task id)
  struct Stream {
    std::deque<mesos::internal::StatusUpdate> queue;
    std::set<std::string> received;
    std::set<std::string> acknowledged;
    bool terminated = false;      // a terminal update has been received
    std::string checkpoint_path;  // task.updates; empty if the framework does not checkpoint
    runtime::TimerId timer = 0;
    runtime::Duration backoff = kRetryMin;
  };

  void sendHead(const Key& key, Stream& stream);
  void onRetry(const Key& key);
  void cancelTimer(Stream& stream);

  runtime::EventLoop& loop_;
  Forward forward_;
  bool paused_ = true;
  std::map<Key, Stream> streams_;
};

}  // namespace keel::agent
