#include "agent/status_update_manager.hpp"

#include <glog/logging.h>

#include <algorithm>

#include "agent/checkpoint.hpp"

namespace keel::agent {

TaskStatusUpdateManager::TaskStatusUpdateManager(runtime::EventLoop& loop, Forward forward)
    : loop_(loop), forward_(std::move(forward)) {}

TaskStatusUpdateManager::~TaskStatusUpdateManager() {
  for (auto& [key, stream] : streams_) {
    cancelTimer(stream);
  }
}

Result<bool> TaskStatusUpdateManager::update(const mesos::internal::StatusUpdate& update,
                                             const std::string& checkpoint_path) {
  const std::string& uuid = update.status().uuid();
  if (uuid.empty()) {
    return Result<bool>::error("Status update without a uuid");
  }
  Key key{update.framework_id().value(), update.status().task_id().value()};
  Stream& stream = streams_[key];
  if (stream.acknowledged.count(uuid) > 0 || stream.received.count(uuid) > 0) {
    return false;
  }
  if (stream.terminated) {
    return Result<bool>::error(mesos::TaskState_Name(update.status().state()) +
                               " update of task " + update.status().task_id().value() +
                               " received after the task's terminal update");
  }
  if (!checkpoint_path.empty()) {
    stream.checkpoint_path = checkpoint_path;
  }
  if (!stream.checkpoint_path.empty()) {
    mesos::internal::StatusUpdateRecord record;
    record.set_type(mesos::internal::StatusUpdateRecord::UPDATE);
    record.mutable_update()->CopyFrom(update);
    RETURN_IF_ERROR(checkpoint::appendRecord(stream.checkpoint_path, record));
  }
  stream.received.insert(uuid);
  stream.queue.push_back(update);
  if (isTerminalState(update.status().state())) {
    stream.terminated = true;
  }
  if (stream.queue.size() == 1 && !paused_) {
    stream.backoff = kRetryMin;
    sendHead(key, stream);
  }
  return true;
}

Result<bool> TaskStatusUpdateManager::acknowledge(const mesos::FrameworkID& framework_id,
                                                  const mesos::TaskID& task_id,
                                                  const std::string& uuid) {
  Key key{framework_id.value(), task_id.value()};
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    return Result<bool>::error("No status update stream for task " + task_id.value() +
                               " of framework " + framework_id.value());
  }
  Stream& stream = it->second;
  if (stream.queue.empty() || stream.queue.front().status().uuid() != uuid) {
    return Result<bool>::error("Unexpected acknowledgement for task " + task_id.value() +
                               (stream.acknowledged.count(uuid) ? " (duplicate)" : ""));
  }
  bool terminal = isTerminalState(stream.queue.front().status().state());
  if (!stream.checkpoint_path.empty()) {
    mesos::internal::StatusUpdateRecord record;
    record.set_type(mesos::internal::StatusUpdateRecord::ACK);
    record.set_uuid(uuid);
    RETURN_IF_ERROR(checkpoint::appendRecord(stream.checkpoint_path, record));
  }
  stream.acknowledged.insert(uuid);
  stream.queue.pop_front();
  cancelTimer(stream);
  stream.backoff = kRetryMin;
  if (terminal) {
    // Nothing may follow a terminal update, so the stream is done.
    streams_.erase(it);
    return true;
  }
  if (!stream.queue.empty() && !paused_) {
    sendHead(key, stream);
  }
  return false;
}

Status TaskStatusUpdateManager::recover(
    const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id,
    const std::vector<mesos::internal::StatusUpdateRecord>& records,
    const std::string& checkpoint_path) {
  Stream stream;
  stream.checkpoint_path = checkpoint_path;
  bool closed = false;
  for (const auto& record : records) {
    if (closed) {
      return Status::error("Status update record after the acknowledged terminal update of task " +
                           task_id.value());
    }
    if (record.type() == mesos::internal::StatusUpdateRecord::UPDATE) {
      const std::string& uuid = record.update().status().uuid();
      if (stream.received.count(uuid) > 0) {
        continue;
      }
      if (stream.terminated) {
        return Status::error("Checkpointed update after the terminal update of task " +
                             task_id.value());
      }
      stream.received.insert(uuid);
      stream.queue.push_back(record.update());
      stream.terminated = isTerminalState(record.update().status().state());
      continue;
    }
    if (stream.queue.empty() || stream.queue.front().status().uuid() != record.uuid()) {
      return Status::error("Checkpointed acknowledgement does not match the head of task " +
                           task_id.value());
    }
    closed = isTerminalState(stream.queue.front().status().state());
    stream.acknowledged.insert(record.uuid());
    stream.queue.pop_front();
  }
  if (!closed) {
    streams_[Key{framework_id.value(), task_id.value()}] = std::move(stream);
  }
  return Status::ok();
}

void TaskStatusUpdateManager::pause() {
  paused_ = true;
  for (auto& [key, stream] : streams_) {
    cancelTimer(stream);
  }
}

void TaskStatusUpdateManager::resume() {
  paused_ = false;
  for (auto& [key, stream] : streams_) {
    cancelTimer(stream);
    stream.backoff = kRetryMin;
    if (!stream.queue.empty()) {
      sendHead(key, stream);
    }
  }
}

void TaskStatusUpdateManager::cleanup(const mesos::FrameworkID& framework_id) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->first.first == framework_id.value()) {
      cancelTimer(it->second);
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

const mesos::internal::StatusUpdate* TaskStatusUpdateManager::head(
    const mesos::FrameworkID& framework_id, const mesos::TaskID& task_id) const {
  auto it = streams_.find(Key{framework_id.value(), task_id.value()});
  if (it == streams_.end() || it->second.queue.empty()) {
    return nullptr;
  }
  return &it->second.queue.front();
}

size_t TaskStatusUpdateManager::pending(const mesos::FrameworkID& framework_id,
                                        const mesos::TaskID& task_id) const {
  auto it = streams_.find(Key{framework_id.value(), task_id.value()});
  return it == streams_.end() ? 0 : it->second.queue.size();
}

void TaskStatusUpdateManager::sendHead(const Key& key, Stream& stream) {
  mesos::internal::StatusUpdate update = stream.queue.front();
  update.set_latest_state(stream.queue.back().status().state());
  cancelTimer(stream);
  stream.timer = loop_.schedule(stream.backoff, [this, key] { onRetry(key); });
  forward_(update);
}

void TaskStatusUpdateManager::onRetry(const Key& key) {
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    return;
  }
  Stream& stream = it->second;
  stream.timer = 0;
  if (paused_ || stream.queue.empty()) {
    return;
  }
  stream.backoff = std::min(stream.backoff * 2, kRetryMax);
  LOG(INFO) << "Resending status update " << stream.queue.front().status().state() << " for task "
            << key.second << " of framework " << key.first;
  sendHead(key, stream);
}

void TaskStatusUpdateManager::cancelTimer(Stream& stream) {
  if (stream.timer != 0) {
    loop_.cancel(stream.timer);
    stream.timer = 0;
  }
}

}  // namespace keel::agent
