// keel-master: the thin shell around keel::master::Master (flags in docs/flags.md).

#include <glog/logging.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <iostream>

#include "authentication/credentials.hpp"
#include "common/log_time_zone.hpp"
#include "common/malloc_tuning.hpp"
#include "common/master_flags.hpp"
#include "master/master.hpp"
#include "runtime/event_loop.hpp"
#include "wire/tcp_transport.hpp"

extern char** environ;

int main(int argc, char** argv) {
  keel::tuneMallocForDaemon();
  keel::pinLocalTimeZoneForLogging();
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;

  keel::FlagSet set;
  auto flags = keel::loadMasterFlags(argc, argv, environ, &set);
  if (set.helpRequested()) {
    std::cout << set.usage(argv[0]) << std::endl;
    return 0;
  }
  if (!flags) {
    std::cerr << flags.message() << std::endl;
    return 1;
  }
  flags->applyLogging();
  for (const auto& warning : set.warnings()) {
    LOG(WARNING) << warning;
  }
  // Refuse rather than silently run an open cluster the operator asked to lock down.
  // Framework and agent authentication (CRAM-MD5) are implemented; HTTP authentication not.
  for (const auto& [name, value] : set.values()) {
    if (name.rfind("authenticate_http_", 0) == 0 && value == "true") {
      std::cerr << "--" << name << " is not implemented by Keel yet; refusing to start a master "
                << "with unauthenticated HTTP endpoints" << std::endl;
      return 1;
    }
  }
  // Mesos exits on an unreadable or empty credentials file; so do we.
  if (flags->credentials) {
    auto credentials = keel::auth::readCredentials(*flags->credentials);
    if (!credentials) {
      std::cerr << credentials.message() << " (see --credentials flag)" << std::endl;
      return 1;
    }
  }

  keel::runtime::EventLoop loop;
  keel::wire::TcpOptions options;
  options.ip = flags->ip.empty() ? "0.0.0.0" : flags->ip;
  options.port = static_cast<uint16_t>(flags->port);
  options.advertise_ip = flags->advertise_ip;
  if (options.advertise_ip.empty() && options.ip == "0.0.0.0") {
    options.advertise_ip = "127.0.0.1";
  }
  auto transport = keel::wire::TcpTransport::create(loop, options);
  if (!transport) {
    std::cerr << "Failed to listen on " << options.ip << ":" << options.port << ": "
              << transport.message() << std::endl;
    return 1;
  }
  keel::master::Master master(loop, **transport, *flags, set.values());

  boost::asio::signal_set signals(loop.context(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (!ec) {
      LOG(INFO) << "Received signal " << signo << "; shutting down";
      (*transport)->shutdown();
      loop.stop();
    }
  });
  loop.post([&] { master.start(); });
  loop.start();
  loop.join();
  return 0;
}
