#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.hpp"
#include "runtime/event_loop.hpp"

namespace mesos {
class SlaveInfo;
namespace internal {
class Registry;
}
}  // namespace mesos

namespace keel::master {

// The master's registry (mesos-spec §3.16): the agents it admitted, those it marked
// unreachable or gone, and the leading master. Frameworks and tasks are not in it.
//
// Storage: with --registry=in_memory nothing survives the process. Otherwise the registry
// is one file, <work_dir>/registry, holding a serialized mesos.internal.Registry, replaced
// atomically (write a temporary file, fsync, rename, fsync the directory) on every change.
// Keel runs one master per work_dir, so there is no replicated log to keep a quorum of;
// with several masters under ZooKeeper each keeps its own file (see docs/architecture.md).
//
// Changes are batched: apply() queues a mutation; the queue is written once kBatchWindow
// after the first queued change (in memory: at the end of the current loop turn), and only
// then run the callbacks, so the master acts on an admission only after it is durable. A failed write is fatal, as in Mesos: the
// master cannot keep promises it could not record.
//
// Lives on the master's loop; not thread-safe.
class Registrar {
 public:
  // Where each agent sits in the registry's lists, so that a change costs O(1) however
  // many agents there are (10,000s re-register after a failover).
  struct Index {
    std::unordered_map<std::string, int> slaves;       // agent id → position in slaves
    std::unordered_map<std::string, int> unreachable;  // agent id → position in unreachable
  };
  using Mutation = std::function<void(mesos::internal::Registry&, Index&)>;

  // How long a durable registry gathers changes before writing them together.
  static constexpr runtime::Duration kBatchWindow = std::chrono::milliseconds(10);

  // Opens the registry ("in_memory", or anything else with `work_dir` set) and reads what
  // it holds. Errors: an unreadable or corrupt file, or no work_dir for a durable registry.
  static Result<std::unique_ptr<Registrar>> open(runtime::EventLoop& loop,
                                                 const std::string& kind,
                                                 const std::string& work_dir);
  ~Registrar();

  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  // What is stored (including queued mutations already applied in memory).
  const mesos::internal::Registry& registry() const { return *registry_; }
  bool durable() const { return !path_.empty(); }
  // Durable writes made since open().
  uint64_t writes() const { return writes_; }

  // Queues `mutation`; it applies to registry() at once and reaches the disk with its
  // batch, after which `done` runs (on the loop).
  void apply(Mutation mutation, std::function<void()> done = nullptr);

  // Writes whatever is queued now and runs the callbacks. Errors only if the write failed
  // (then the callbacks do not run).
  Status flush();

  // Mutations of the agent lists, for apply().
  static Mutation admit(const mesos::SlaveInfo& info);
  static Mutation markUnreachable(const std::string& agent_id, double time);
  static Mutation markReachable(const mesos::SlaveInfo& info);
  static Mutation remove(const std::string& agent_id);
  static Mutation update(const mesos::SlaveInfo& info);

 private:
  Registrar(runtime::EventLoop& loop, std::string path);

  runtime::EventLoop& loop_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // guards the posted flush
  std::string path_;  // empty: in memory
  std::unique_ptr<mesos::internal::Registry> registry_;
  Index index_;
  std::vector<std::function<void()>> pending_;
  bool flush_posted_ = false;
  bool dirty_ = false;
  uint64_t writes_ = 0;
};

}  // namespace keel::master
