#include "agent/resource_detection.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>

namespace keel::agent {

namespace {

constexpr std::uint64_t kMB = 1024 * 1024;
constexpr std::uint64_t kGB = 1024 * kMB;

mesos::Resource scalar(const std::string& name, double value, const std::string& role) {
  mesos::Resource r;
  r.set_name(name);
  r.set_type(mesos::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  if (role != "*") {
    auto* reservation = r.add_reservations();
    reservation->set_type(mesos::Resource::ReservationInfo::STATIC);
    reservation->set_role(role);
  }
  return r;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) {
    return "";
  }
  size_t e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

HostFacts measureHost(const std::string& work_dir) {
  HostFacts facts;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) {
    facts.cpus = static_cast<double>(cpus);
  }
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    facts.mem_bytes = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  }
  struct statvfs fs;
  if (::statvfs(work_dir.c_str(), &fs) == 0) {
    facts.disk_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
  }
  return facts;
}

Result<Resources> agentResources(const std::string& resources_flag, const std::string& default_role,
                                 const HostFacts& facts) {
  Resources total;
  if (!trim(resources_flag).empty()) {
    ASSIGN_OR_RETURN(total, Resources::parse(resources_flag, default_role));
  }
  auto names = total.names();
  auto has = [&names](const std::string& name) {
    for (const auto& n : names) {
      if (n == name) {
        return true;
      }
    }
    return false;
  };
  if (!has("cpus")) {
    total += scalar("cpus", facts.cpus.value_or(1), default_role);
  }
  if (!has("mem")) {
    double mb = 1024;
    if (facts.mem_bytes) {
      std::uint64_t bytes = *facts.mem_bytes;
      bytes = bytes >= 2 * kGB ? bytes - kGB : bytes / 2;
      mb = static_cast<double>(bytes / kMB);
    }
    total += scalar("mem", mb, default_role);
  }
  if (!has("disk")) {
    double mb = 10240;
    if (facts.disk_bytes) {
      std::uint64_t bytes = *facts.disk_bytes;
      bytes = bytes >= 10 * kGB ? bytes - 5 * kGB : bytes / 2;
      mb = static_cast<double>(bytes / kMB);
    }
    total += scalar("disk", mb, default_role);
  }
  if (!has("ports")) {
    ASSIGN_OR_RETURN(mesos::Resource ports, Resources::parse("ports", "[31000-32000]", "*"));
    if (default_role != "*") {
      Resources::upgrade(&ports);
      auto* reservation = ports.add_reservations();
      reservation->set_type(mesos::Resource::ReservationInfo::STATIC);
      reservation->set_role(default_role);
    }
    total += ports;
  }
  return total;
}

void toLegacyFormat(mesos::Resource* r) {
  if (r->reservations_size() == 0) {
    if (!r->has_role()) {
      r->set_role("*");
    }
    return;
  }
  if (r->reservations_size() > 1) {
    return;  // refined reservations have no legacy form
  }
  const auto& reservation = r->reservations(0);
  r->set_role(reservation.role());
  if (reservation.type() == mesos::Resource::ReservationInfo::DYNAMIC) {
    auto* legacy = r->mutable_reservation();
    if (reservation.has_principal()) {
      legacy->set_principal(reservation.principal());
    }
    if (reservation.has_labels()) {
      legacy->mutable_labels()->CopyFrom(reservation.labels());
    }
  }
  r->clear_reservations();
}

google::protobuf::RepeatedPtrField<mesos::Resource> toLegacyFormat(
    const google::protobuf::RepeatedPtrField<mesos::Resource>& resources) {
  google::protobuf::RepeatedPtrField<mesos::Resource> out = resources;
  for (auto& r : out) {
    toLegacyFormat(&r);
  }
  return out;
}

Result<google::protobuf::RepeatedPtrField<mesos::Attribute>> parseAttributes(
    const std::string& text) {
  google::protobuf::RepeatedPtrField<mesos::Attribute> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string item = trim(text.substr(start, end - start));
    start = end + 1;
    if (item.empty()) {
      continue;
    }
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Result<google::protobuf::RepeatedPtrField<mesos::Attribute>>::error(
          "Invalid attribute '" + item + "': expected name:value");
    }
    std::string name = trim(item.substr(0, colon));
    std::string value = trim(item.substr(colon + 1));
    mesos::Attribute* attribute = out.Add();
    attribute->set_name(name);
    char* parse_end = nullptr;
    double number = std::strtod(value.c_str(), &parse_end);
    bool numeric = !value.empty() && parse_end != nullptr && *parse_end == '\0';
    if (numeric || (!value.empty() && (value[0] == '[' || value[0] == '{'))) {
      auto parsed = Resources::parse(name, value, "*");
      if (!parsed) {
        return Result<google::protobuf::RepeatedPtrField<mesos::Attribute>>::error(
            "Invalid attribute '" + item + "': " + parsed.message());
      }
      attribute->set_type(parsed->type());
      if (numeric) {
        attribute->mutable_scalar()->set_value(number);
      } else if (parsed->type() == mesos::Value::RANGES) {
        attribute->mutable_ranges()->CopyFrom(parsed->ranges());
      } else {
        attribute->mutable_set()->CopyFrom(parsed->set());
      }
    } else {
      attribute->set_type(mesos::Value::TEXT);
      attribute->mutable_text()->set_value(value);
    }
  }
  return out;
}

}  // namespace keel::agent
