// keel-agent: loads the flags, opens the TCP transport and runs the Agent until SIGINT,
// SIGTERM or a ShutdownMessage from the master.

#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>

#include <glog/logging.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/malloc_tuning.hpp"
#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "common/agent_flags.hpp"
#include "common/flags.hpp"
#include "common/ids.hpp"
#include "runtime/event_loop.hpp"
#include "wire/tcp_transport.hpp"

extern char** environ;

namespace {

// The IPv4 address `host` resolves to; nullopt if none.
std::optional<std::string> resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* result = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0 || result == nullptr) {
    return std::nullopt;
  }
  char text[INET_ADDRSTRLEN] = {0};
  auto* in = reinterpret_cast<sockaddr_in*>(result->ai_addr);
  ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
  ::freeaddrinfo(result);
  return std::string(text);
}

// --ip when given; 127.0.0.1 for a master on loopback; else this host's address.
std::string chooseIp(const keel::AgentFlags& flags) {
  if (!flags.ip.empty()) {
    return flags.ip;
  }
  std::string master = flags.master.value_or("");
  auto at = master.find('@');
  std::string host = at == std::string::npos ? master : master.substr(at + 1);
  host = host.substr(0, host.find(':'));
  auto master_ip = resolve(host);
  if (host.rfind("127.", 0) == 0 || host == "localhost" ||
      (master_ip && master_ip->rfind("127.", 0) == 0)) {
    return "127.0.0.1";
  }
  auto own = resolve(keel::hostname());
  return own && own->rfind("127.", 0) != 0 ? *own : "0.0.0.0";
}

// Runs `fn` on the loop thread and waits for it.
template <class F>
auto onLoop(keel::runtime::EventLoop& loop, F fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto future = task.get_future();
  loop.post([&task] { task(); });
  return future.get();
}

}  // namespace

int main(int argc, char** argv) {
  keel::tuneMallocForDaemon();
  keel::FlagSet set;
  auto flags = keel::loadAgentFlags(argc, argv, environ, &set);
  if (!flags) {
    std::cerr << flags.message() << std::endl;
    std::cerr << set.usage(argv[0]) << std::endl;
    return 1;
  }
  if (set.helpRequested()) {
    std::cout << set.usage(argv[0]) << std::endl;
    return 0;
  }
  if (flags->version) {
    std::cout << "keel-agent " << KEEL_MESOS_VERSION << std::endl;
    return 0;
  }
  if (!flags->master) {
    std::cerr << "Missing required flag --master" << std::endl << set.usage(argv[0]) << std::endl;
    return 1;
  }

  google::InitGoogleLogging(argv[0]);
  flags->applyLogging();
  for (const auto& warning : set.warnings()) {
    LOG(WARNING) << warning;
  }

  // Signals are taken synchronously by one thread; block them before any thread starts
  // so that none of them gets the default (fatal) action.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  keel::runtime::EventLoop loop;
  loop.start();
  keel::agent::PosixProcessLauncher launcher;

  keel::wire::TcpOptions options;
  options.ip = chooseIp(*flags);
  options.port = static_cast<std::uint16_t>(flags->port);
  options.advertise_ip = flags->advertise_ip;
  if (flags->advertise_port) {
    LOG(WARNING) << "--advertise_port is not supported yet; ignored";
  }
  auto transport = onLoop(loop, [&] { return keel::wire::TcpTransport::create(loop, options); });
  if (!transport) {
    LOG(ERROR) << "Failed to listen on " << options.ip << ":" << flags->port << ": "
               << transport.message();
    return 1;
  }

  std::mutex mutex;
  std::condition_variable cv;
  bool terminated_by_master = false;
  bool fatal = false;
  bool finished = false;

  auto agent = std::make_unique<keel::agent::Agent>(loop, **transport, *flags, launcher);
  agent->setFlagValues(set.values());
  agent->setOnTerminated([&](const std::string&) {
    std::lock_guard<std::mutex> lock(mutex);
    terminated_by_master = true;
    finished = true;
    cv.notify_all();
  });
  agent->setOnFatal([&](const std::string&) {
    std::lock_guard<std::mutex> lock(mutex);
    fatal = true;
    finished = true;
    cv.notify_all();
  });
  keel::Status started = onLoop(loop, [&] { return agent->start(); });
  if (!started) {
    LOG(ERROR) << "Failed to start the agent: " << started.message();
    return 1;
  }

  std::thread signal_thread([&] {
    int received = 0;
    sigwait(&signals, &received);
    std::lock_guard<std::mutex> lock(mutex);
    if (!finished) {
      LOG(INFO) << "Received " << ::strsignal(received) << "; shutting down";
    }
    finished = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return finished; });
  }
  if (!terminated_by_master && !fatal) {
    // As Mesos's agent does when it terminates: executors of checkpointing frameworks
    // stay for the next agent to recover (--recover=reconnect); the others are shut down.
    std::promise<void> done;
    auto shut = done.get_future();
    loop.post([&] {
      agent->shutdown("agent terminating", [&] { done.set_value(); }, /*keep_checkpointed=*/true);
    });
    auto limit = flags->executor_shutdown_grace_period + std::chrono::seconds(5);
    if (shut.wait_for(limit) != std::future_status::ready) {
      LOG(WARNING) << "Executors did not all exit in time";
    }
  }
  onLoop(loop, [&] {
    agent.reset();
    transport->reset();
  });
  loop.stop();
  loop.join();
  if (signal_thread.joinable()) {
    // Not ended by a signal (the master, or a fatal error): wake the signal thread.
    ::kill(::getpid(), SIGTERM);
    signal_thread.join();
  }
  if (fatal) {
    // As Mesos's agent: exit without shutting executors down, so a corrected agent can
    // recover them.
    LOG(ERROR) << "Agent exiting after a fatal error";
    return 1;
  }
  LOG(INFO) << "Agent terminated";
  return 0;
}
