#include "master/state_worker.hpp"

#include <glog/logging.h>

#include <array>
#include <chrono>
#include <optional>

namespace keel::master {

namespace {
// How long held work may hold the loop per turn while it drains.
constexpr auto kDrainSlice = std::chrono::milliseconds(2);
// Renders at least this long are logged.
constexpr double kSlowRenderMs = 100;
}  // namespace

// ---------------------------------------------------------------------------------------------
// ModelGate

void ModelGate::run(std::function<void()> fn) {
  if (passThrough()) {
    fn();
  } else {
    internal_.push_back(std::move(fn));
  }
}

void ModelGate::open(std::function<void()> drained) {
  closed_ = false;
  drained_ = std::move(drained);
  if (!draining_) {
    draining_ = true;
    drainSlice();
  }
}

void ModelGate::drainSlice() {
  const auto start = std::chrono::steady_clock::now();
  while (heldCount() > 0 && !closed_) {
    // Pop before running: the work may hold more (it goes behind the rest of its kind).
    auto& queue = internal_.empty() ? external_ : internal_;
    std::function<void()> fn = std::move(queue.front());
    queue.pop_front();
    fn();
    if (std::chrono::steady_clock::now() - start >= kDrainSlice) break;
  }
  if (heldCount() > 0 && !closed_) {
    loop_.post([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->drainSlice();
    });
    return;
  }
  draining_ = false;
  if (heldCount() == 0 && drained_) {
    auto drained = std::move(drained_);
    drained_ = nullptr;
    drained();
  }
}

// ---------------------------------------------------------------------------------------------
// GatedTransport

void GatedTransport::addProcess(const std::string& id, wire::ProcessHandlers handlers) {
  auto live = std::make_shared<bool>(true);
  live_[id] = live;
  wire::ProcessHandlers gated;
  if (handlers.on_message) {
    gated.on_message = [gate = gate_, live, inner = std::move(handlers.on_message)](
                           wire::Message&& msg) -> wire::Delivery {
      if (gate->passThrough()) return inner(std::move(msg));
      auto held = std::make_shared<wire::Message>(std::move(msg));
      gate->hold([live, inner, held] {
        if (*live) inner(std::move(*held));
      });
      return wire::Delivery::kAccepted;
    };
  }
  if (handlers.on_exited) {
    gated.on_exited = [gate = gate_, live,
                       inner = std::move(handlers.on_exited)](const wire::Pid& pid) {
      if (gate->passThrough()) {
        inner(pid);
        return;
      }
      gate->hold([live, inner, pid] {
        if (*live) inner(pid);
      });
    };
  }
  inner_.addProcess(id, std::move(gated));
}

void GatedTransport::removeProcess(const std::string& id) {
  auto it = live_.find(id);
  if (it != live_.end()) {
    *it->second = false;
    live_.erase(it);
  }
  inner_.removeProcess(id);
}

void GatedTransport::addRoute(const std::string& path, wire::HttpHandler handler) {
  inner_.addRoute(path, [gate = gate_, handler = std::move(handler)](const wire::HttpRequest& req,
                                                                     wire::Responder respond) {
    if (gate->passThrough()) {
      handler(req, std::move(respond));
      return;
    }
    gate->hold([handler, req, respond] { handler(req, respond); });
  });
}

// ---------------------------------------------------------------------------------------------
// StateWorker

StateWorker::StateWorker(runtime::EventLoop& loop, std::shared_ptr<ModelGate> gate, Renderer render,
                         std::function<bool()> inline_ok)
    : loop_(loop),
      gate_(std::move(gate)),
      render_(std::move(render)),
      inline_ok_(std::move(inline_ok)) {}

wire::HttpResponse StateWorker::answer(const Waiter& w, std::string body) {
  wire::HttpResponse r;
  if (w.jsonp.empty()) {
    r.body = std::move(body);
    return r;
  }
  r.content_type = "text/javascript";
  r.body.reserve(body.size() + w.jsonp.size() + 3);
  r.body = w.jsonp;
  r.body += '(';
  r.body += body;
  r.body += ");";
  return r;
}

StateWorker::~StateWorker() { stop(); }

void StateWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // A batch still out leaves the gate closed: its owner is going away with the held work.
}

void StateWorker::request(Kind kind, std::string jsonp, wire::Responder respond) {
  Waiter w{kind, std::move(jsonp), std::move(respond)};
  if (!busy_ && pending_.empty() && gate_->passThrough() && inline_ok_ && inline_ok_()) {
    std::string doc;
    render_(kind, &doc);
    w.respond(answer(w, std::move(doc)));
    return;
  }
  pending_.push_back(std::move(w));
  maybeStart();
}

void StateWorker::maybeStart() {
  if (busy_ || pending_.empty() || !gate_->passThrough()) {
    return;  // the batch's end, or the gate's drain, calls again
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    busy_ = true;
    ++renders_;
    gate_->close();
    batch_ = std::move(pending_);
    pending_.clear();
    has_batch_ = true;
    if (!thread_.joinable()) thread_ = std::thread([this] { threadMain(); });
  }
  cv_.notify_all();
}

void StateWorker::threadMain() {
  for (;;) {
    std::vector<Waiter> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || has_batch_; });
      if (stop_) return;
      batch = std::move(batch_);
      batch_.clear();
      has_batch_ = false;
    }
    // Under the gate: each kind asked for is rendered once.
    std::array<std::optional<std::string>, 4> docs;
    std::array<size_t, 4> wanted{};
    for (const auto& w : batch) {
      const auto k = static_cast<size_t>(w.kind);
      ++wanted[k];
      if (!docs[k]) {
        docs[k].emplace();
        const auto start = std::chrono::steady_clock::now();
        render_(w.kind, &*docs[k]);
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (ms >= kSlowRenderMs) {
          LOG(INFO) << "Rendered " << docs[k]->size() / 1000 << " kB for " << batch.size()
                    << " request(s) in " << static_cast<int>(ms) << " ms";
        }
      }
    }
    // Done with the model: the master may go on while the answers are made.
    loop_.post([this, alive = std::weak_ptr<char>(alive_)] {
      if (!alive.lock()) return;
      gate_->open([this, alive] {
        if (alive.lock()) maybeStart();
      });
    });
    auto answers = std::make_shared<std::vector<Answer>>();
    answers->reserve(batch.size());
    for (auto& w : batch) {
      const auto k = static_cast<size_t>(w.kind);
      std::string body = --wanted[k] == 0 ? std::move(*docs[k]) : *docs[k];
      wire::HttpResponse r = answer(w, std::move(body));
      answers->push_back(Answer{std::move(w.respond), std::move(r)});
    }
    loop_.post([this, alive = std::weak_ptr<char>(alive_), answers] {
      if (!alive.lock()) return;
      busy_ = false;
      for (auto& a : *answers) a.respond(std::move(a.response));
      answers->clear();
      maybeStart();
    });
  }
}

}  // namespace keel::master
