// Small helpers of the scheduler driver: master address resolution, FrameworkInfo
// defaults, the process id.

#include <netdb.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "scheduler/scheduler_driver_impl.hpp"

namespace keel::sched {

namespace {

std::string trim(const std::string& text) {
  const char* space = " \t\r\n";
  auto begin = text.find_first_not_of(space);
  if (begin == std::string::npos) {
    return "";
  }
  auto end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

// "host:port" or "master@host:port" (no further indirection).
Result<wire::Pid> parseMasterPid(const std::string& text) {
  std::string pid_text = text.find('@') == std::string::npos ? "master@" + text : text;
  auto colon = pid_text.rfind(':');
  if (colon == std::string::npos || colon + 1 == pid_text.size()) {
    return Result<wire::Pid>::error("expected 'host:port' or 'master@host:port', got '" + text +
                                    "'");
  }
  auto pid = wire::Pid::parse(pid_text);
  if (!pid || pid->empty()) {
    return Result<wire::Pid>::error("cannot parse or resolve '" + text + "'");
  }
  return *pid;
}

}  // namespace

Result<wire::Pid> resolveMaster(const std::string& master) {
  std::string text = trim(master);
  if (text.rfind("zk://", 0) == 0) {
    return Result<wire::Pid>::error(
        "ZooKeeper master detection (zk://) is not supported yet by Keel's scheduler driver");
  }
  if (text == "local" || text == "localquiet") {
    return Result<wire::Pid>::error(
        "an in-process cluster ('local') is not supported yet by Keel's scheduler driver");
  }
  if (text.rfind("file://", 0) == 0) {
    std::string path = text.substr(std::string("file://").size());
    std::ifstream in(path);
    if (!in) {
      return Result<wire::Pid>::error("cannot read master file '" + path + "'");
    }
    std::stringstream content;
    content << in.rdbuf();
    std::string inner = trim(content.str());
    if (inner.rfind("file://", 0) == 0) {
      return Result<wire::Pid>::error("master file '" + path + "' names another file");
    }
    return resolveMaster(inner);
  }
  if (text.empty()) {
    return Result<wire::Pid>::error("no master given");
  }
  return parseMasterPid(text);
}

void fillMissingFrameworkInfoFields(mesos::FrameworkInfo* framework) {
  if (framework->user().empty()) {
    std::string user;
    struct passwd pwd;
    struct passwd* found = nullptr;
    char buffer[4096];
    if (getpwuid_r(geteuid(), &pwd, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
      user = found->pw_name;
    } else if (const char* env = std::getenv("USER")) {
      user = env;
    }
    framework->set_user(user);
  }
  if (framework->hostname().empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) {
      std::string name = host;
      // Prefer the canonical (fully qualified) name, as Mesos does.
      struct addrinfo hints = {};
      hints.ai_family = AF_INET;
      hints.ai_flags = AI_CANONNAME;
      struct addrinfo* result = nullptr;
      if (getaddrinfo(host, nullptr, &hints, &result) == 0 && result != nullptr) {
        if (result->ai_canonname != nullptr && *result->ai_canonname != '\0') {
          name = result->ai_canonname;
        }
        freeaddrinfo(result);
      }
      framework->set_hostname(name);
    }
  }
}

std::string newSchedulerId() {
  std::random_device device;
  std::mt19937_64 engine((static_cast<std::uint64_t>(device()) << 32) ^ device());
  unsigned char bytes[16];
  for (auto& byte : bytes) {
    byte = static_cast<unsigned char>(engine());
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return std::string("scheduler-") + text;
}

}  // namespace keel::sched
