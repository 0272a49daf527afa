#include "master/registrar.hpp"

#include <glog/logging.h>
#include <mesos/internal/registry.pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/files.hpp"

namespace keel::master {

namespace {

// Removes the entry of `id` from `list` by moving the last entry into its place.
template <class List>
void eraseIndexed(List* list, std::unordered_map<std::string, int>* index, const std::string& id,
                  const std::string& (*id_of)(const typename List::value_type&)) {
  auto it = index->find(id);
  if (it == index->end()) return;
  const int at = it->second;
  const int last = list->size() - 1;
  if (at != last) {
    list->SwapElements(at, last);
    (*index)[id_of(list->Get(at))] = at;
  }
  list->RemoveLast();
  index->erase(id);
}

const std::string& slaveId(const mesos::internal::Registry::Slave& s) {
  return s.info().id().value();
}
const std::string& unreachableId(const mesos::internal::Registry::UnreachableSlave& s) {
  return s.id().value();
}

mesos::TimeInfo timeInfo(double seconds) {
  mesos::TimeInfo t;
  t.set_nanoseconds(static_cast<int64_t>(std::llround(seconds * 1e9)));
  return t;
}

}  // namespace

Registrar::Registrar(runtime::EventLoop& loop, std::string path)
    : loop_(loop), path_(std::move(path)), registry_(std::make_unique<mesos::internal::Registry>()) {}

Registrar::~Registrar() {
  // What was queued still reaches the disk; its callbacks belonged to the master that is
  // going away and do not run.
  if (dirty_ && durable()) {
    std::string data;
    registry_->SerializeToString(&data);
    if (Status s = writeFileAtomically(path_, data, 0600); !s.isOk()) {
      LOG(ERROR) << "Failed to write the registry on shutdown: " << s.message();
    }
  }
}

Result<std::unique_ptr<Registrar>> Registrar::open(runtime::EventLoop& loop,
                                                   const std::string& kind,
                                                   const std::string& work_dir) {
  if (kind == "in_memory") {
    return std::unique_ptr<Registrar>(new Registrar(loop, ""));
  }
  if (work_dir.empty()) {
    return Status::error("--work_dir needed for a durable registry");
  }
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec) return Status::error("Failed to create " + work_dir + ": " + ec.message());
  std::unique_ptr<Registrar> r(new Registrar(loop, work_dir + "/registry"));
  std::ifstream in(r->path_, std::ios::binary);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (!r->registry_->ParseFromString(buffer.str())) {
      return Status::error("Failed to recover the registry: " + r->path_ +
                           " is not a valid registry");
    }
    const auto& slaves = r->registry_->slaves().slaves();
    for (int i = 0; i < slaves.size(); ++i) r->index_.slaves[slaveId(slaves.Get(i))] = i;
    const auto& unreachable = r->registry_->unreachable().slaves();
    for (int i = 0; i < unreachable.size(); ++i) {
      r->index_.unreachable[unreachableId(unreachable.Get(i))] = i;
    }
  }
  return r;
}

void Registrar::apply(Mutation mutation, std::function<void()> done) {
  mutation(*registry_, index_);
  dirty_ = true;
  if (done) pending_.push_back(std::move(done));
  if (flush_posted_) {
    return;
  }
  flush_posted_ = true;
  auto run = [this, alive = std::weak_ptr<char>(alive_)] {
    if (!alive.lock()) return;
    flush_posted_ = false;
    if (Status s = flush(); !s.isOk()) {
      LOG(FATAL) << "Failed to update the registry: " << s.message();
    }
  };
  if (durable()) {
    // Every write rewrites the whole registry: gather what a burst of (re-)registrations
    // changes over a short window into one write, as Mesos batches registry operations.
    loop_.schedule(kBatchWindow, std::move(run));
  } else {
    loop_.post(std::move(run));
  }
}

Status Registrar::flush() {
  if (dirty_ && durable()) {
    std::string data;
    registry_->SerializeToString(&data);
    RETURN_IF_ERROR(writeFileAtomically(path_, data, 0600));
    ++writes_;
  }
  dirty_ = false;
  std::vector<std::function<void()>> callbacks;
  callbacks.swap(pending_);
  for (auto& callback : callbacks) callback();
  return Status::ok();
}

Registrar::Mutation Registrar::admit(const mesos::SlaveInfo& info) {
  return [info](mesos::internal::Registry& r, Index& index) {
    auto* slaves = r.mutable_slaves()->mutable_slaves();
    auto it = index.slaves.find(info.id().value());
    if (it != index.slaves.end()) {
      *slaves->Mutable(it->second)->mutable_info() = info;
      return;
    }
    *slaves->Add()->mutable_info() = info;
    index.slaves[info.id().value()] = slaves->size() - 1;
  };
}

Registrar::Mutation Registrar::update(const mesos::SlaveInfo& info) { return admit(info); }

Registrar::Mutation Registrar::markUnreachable(const std::string& agent_id, double time) {
  return [agent_id, time](mesos::internal::Registry& r, Index& index) {
    eraseIndexed(r.mutable_slaves()->mutable_slaves(), &index.slaves, agent_id, &slaveId);
    auto* unreachable = r.mutable_unreachable()->mutable_slaves();
    eraseIndexed(unreachable, &index.unreachable, agent_id, &unreachableId);
    auto* entry = unreachable->Add();
    entry->mutable_id()->set_value(agent_id);
    *entry->mutable_timestamp() = timeInfo(time);
    index.unreachable[agent_id] = unreachable->size() - 1;
  };
}

Registrar::Mutation Registrar::markReachable(const mesos::SlaveInfo& info) {
  return [info](mesos::internal::Registry& r, Index& index) {
    eraseIndexed(r.mutable_unreachable()->mutable_slaves(), &index.unreachable,
                 info.id().value(), &unreachableId);
    admit(info)(r, index);
  };
}

Registrar::Mutation Registrar::remove(const std::string& agent_id) {
  return [agent_id](mesos::internal::Registry& r, Index& index) {
    eraseIndexed(r.mutable_slaves()->mutable_slaves(), &index.slaves, agent_id, &slaveId);
  };
}

}  // namespace keel::master
