// keel-local: a master and N agents in one process, for a laptop or a demo. Each part has
// its own event loop and its own TCP port, exactly as if they were separate daemons, so
// frameworks and tools talk to it over the real wire protocol. Prints the master's address
// once every agent has registered.
//
//   keel-local --num_slaves=2 --work_dir=/tmp/keel --ip=127.0.0.1 --port=5050

#include <glog/logging.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <vector>

#include "common/malloc_tuning.hpp"
#include "agent/agent.hpp"
#include "agent/process_launcher.hpp"
#include "common/agent_flags.hpp"
#include "common/flags.hpp"
#include "common/master_flags.hpp"
#include "master/master.hpp"
#include "runtime/event_loop.hpp"
#include "wire/tcp_transport.hpp"

extern char** environ;

namespace {

struct AgentNode {
  std::unique_ptr<keel::runtime::EventLoop> loop;
  std::unique_ptr<keel::wire::TcpTransport> transport;
  std::unique_ptr<keel::agent::Agent> agent;
};

std::vector<const char*> argvOf(const std::vector<std::string>& args) {
  std::vector<const char*> out;
  for (const auto& a : args) out.push_back(a.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  keel::tuneMallocForDaemon();
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const auto started = std::chrono::steady_clock::now();

  keel::FlagSet set;
  int64_t num_agents = 1;
  std::string work_dir = "/tmp/keel/local";
  std::string ip = "127.0.0.1";
  int64_t port = 5050;
  std::string resources;
  std::string address_file;
  std::string registration_backoff = "10ms";
  set.add("num_slaves", &num_agents, "Number of agents to run");
  set.add("work_dir", &work_dir, "Directory for the agents' work directories");
  set.add("ip", &ip, "IP address every part listens on");
  set.add("port", &port, "The master's port (0 = any free port)");
  set.add("resources", &resources, "Each agent's --resources (default: detected)");
  set.add("address_file", &address_file,
          "Where to write the master's address once every agent registered");
  set.add("agent_registration_backoff_factor", &registration_backoff,
          "The agents' --registration_backoff_factor (small, so a local cluster is up at once)");
  keel::Status loaded = set.load(argc, argv, environ);
  if (set.helpRequested()) {
    std::cout << set.usage(argv[0]) << std::endl;
    return 0;
  }
  if (!loaded.isOk()) {
    std::cerr << loaded.message() << std::endl;
    return 1;
  }
  if (num_agents < 0 || num_agents > 1000) {
    std::cerr << "--num_slaves must be between 0 and 1000" << std::endl;
    return 1;
  }

  // The master.
  std::vector<std::string> master_args = {"keel-master", "--ip=" + ip,
                                          "--port=" + std::to_string(port),
                                          "--registry=in_memory"};
  keel::FlagSet master_set;
  auto master_argv = argvOf(master_args);
  auto master_flags = keel::loadMasterFlags(static_cast<int>(master_args.size()),
                                            master_argv.data(), environ, &master_set);
  if (!master_flags) {
    std::cerr << master_flags.message() << std::endl;
    return 1;
  }
  keel::runtime::EventLoop master_loop;
  keel::wire::TcpOptions master_options;
  master_options.ip = ip;
  master_options.port = static_cast<uint16_t>(port);
  auto master_transport = keel::wire::TcpTransport::create(master_loop, master_options);
  if (!master_transport) {
    std::cerr << "Failed to listen for the master: " << master_transport.message() << std::endl;
    return 1;
  }
  keel::master::Master master(master_loop, **master_transport, *master_flags,
                              master_set.values());
  std::promise<keel::wire::Pid> master_pid;
  master_loop.post([&] {
    master.start();
    master_pid.set_value(master.pid());
  });
  master_loop.start();
  const keel::wire::Pid pid = master_pid.get_future().get();
  const std::string address = pid.ip + ":" + std::to_string(pid.port);

  // The agents share one process launcher: it reaps this process's children for all of them.
  keel::agent::PosixProcessLauncher launcher;
  std::vector<AgentNode> agents;
  for (int64_t i = 0; i < num_agents; ++i) {
    std::string dir = work_dir + "/agent-" + std::to_string(i);
    std::filesystem::create_directories(dir);
    std::vector<std::string> args = {"keel-agent", "--master=" + pid.str(), "--ip=" + ip,
                                     "--port=0", "--work_dir=" + dir,
                                     "--registration_backoff_factor=" + registration_backoff};
    if (!resources.empty()) args.push_back("--resources=" + resources);
    keel::FlagSet agent_set;
    auto agent_argv = argvOf(args);
    auto agent_flags = keel::loadAgentFlags(static_cast<int>(args.size()), agent_argv.data(),
                                            environ, &agent_set);
    if (!agent_flags) {
      std::cerr << agent_flags.message() << std::endl;
      return 1;
    }
    AgentNode node;
    node.loop = std::make_unique<keel::runtime::EventLoop>();
    keel::wire::TcpOptions options;
    options.ip = ip;
    auto transport = keel::wire::TcpTransport::create(*node.loop, options);
    if (!transport) {
      std::cerr << "Failed to listen for agent " << i << ": " << transport.message() << std::endl;
      return 1;
    }
    node.transport = std::move(*transport);
    node.agent = std::make_unique<keel::agent::Agent>(*node.loop, *node.transport, *agent_flags,
                                                      launcher);
    std::promise<keel::Status> agent_started;
    node.loop->post([&] { agent_started.set_value(node.agent->start()); });
    node.loop->start();
    keel::Status s = agent_started.get_future().get();
    if (!s.isOk()) {
      std::cerr << "Agent " << i << " failed to start: " << s.message() << std::endl;
      return 1;
    }
    agents.push_back(std::move(node));
  }

  // Wait (bounded) for every agent to register, then announce the master.
  bool all_registered = false;
  for (int attempt = 0; attempt < 6000 && !all_registered; ++attempt) {
    std::promise<size_t> count;
    master_loop.post([&] { count.set_value(master.agentCount()); });
    all_registered = count.get_future().get() == static_cast<size_t>(num_agents);
    if (!all_registered) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double up_ms = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - started).count();
  if (!all_registered) {
    std::cerr << "Not every agent registered within 6 seconds" << std::endl;
  }
  std::cout << "Keel local cluster: master at " << address << " (" << pid.str() << ") with "
            << num_agents << " agent(s) registered in " << up_ms << " ms" << std::endl;
  if (!address_file.empty()) {
    std::ofstream(address_file + ".tmp") << address << "\n";
    std::filesystem::rename(address_file + ".tmp", address_file);
  }

  // Run until SIGINT/SIGTERM, then shut the agents down (killing their executors) and exit 0.
  boost::asio::signal_set signals(master_loop.context(), SIGINT, SIGTERM);
  std::promise<void> stop_requested;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stop_requested.set_value();
  });
  stop_requested.get_future().wait();
  LOG(INFO) << "Shutting the local cluster down";
  for (auto& node : agents) {
    std::promise<void> done;
    node.loop->post([&] {
      node.agent->shutdown("keel-local is shutting down", [&done] { done.set_value(); });
    });
    if (done.get_future().wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
      LOG(WARNING) << "An agent did not finish shutting down in time";
    }
    std::promise<void> closed;
    node.loop->post([&] {
      node.transport->shutdown();
      closed.set_value();
    });
    closed.get_future().wait();
    node.loop->stop();
    node.loop->join();
  }
  std::promise<void> master_closed;
  master_loop.post([&] {
    (*master_transport)->shutdown();
    master_closed.set_value();
  });
  master_closed.get_future().wait();
  master_loop.stop();
  master_loop.join();
  return 0;
}
