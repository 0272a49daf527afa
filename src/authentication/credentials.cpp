#include "authentication/credentials.hpp"

#include <glog/logging.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "common/json.hpp"

namespace keel::auth {

namespace {

constexpr const char* kEmpty = "Credentials file must contain at least one credential";

bool isBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

Result<mesos::Credentials> parseText(const std::string& text) {
  mesos::Credentials credentials;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (isBlank(line)) {
      continue;
    }
    std::istringstream fields(line);
    std::string principal, secret, extra;
    fields >> principal >> secret;
    if (principal.empty() || secret.empty() || (fields >> extra)) {
      return Result<mesos::Credentials>::error("Invalid credential format at line " +
                                               std::to_string(number) +
                                               ": expected 'principal secret'");
    }
    auto* credential = credentials.add_credentials();
    credential->set_principal(principal);
    credential->set_secret(secret);
  }
  return credentials;
}

}  // namespace

Result<mesos::Credentials> parseCredentials(const std::string& text) {
  if (isBlank(text)) {
    return Result<mesos::Credentials>::error(kEmpty);
  }
  mesos::Credentials credentials;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (text[first] == '{') {
    auto json = parseJson(text);
    if (!json) {
      return Result<mesos::Credentials>::error("Invalid json format: " + json.message());
    }
    Status parsed = jsonToProtobuf(*json, &credentials);
    if (!parsed) {
      return Result<mesos::Credentials>::error("Failed to parse credentials: " + parsed.message());
    }
  } else {
    auto parsed = parseText(text);
    if (!parsed) {
      return parsed;
    }
    credentials = std::move(parsed).value();
  }
  if (credentials.credentials_size() == 0) {
    return Result<mesos::Credentials>::error(kEmpty);
  }
  return credentials;
}

Result<mesos::Credentials> readCredentials(const std::string& flag_value) {
  std::string path = flag_value;
  if (path.rfind("file://", 0) == 0) {
    path = path.substr(7);
  }
  struct stat info {};
  const bool exists = ::stat(path.c_str(), &info) == 0;
  const size_t first = flag_value.find_first_not_of(" \t\r\n");
  if (!exists && first != std::string::npos) {
    // The flag loader may already have replaced "file://<path>" by the file's content.
    if (flag_value[first] == '{') {
      return parseCredentials(flag_value);
    }
    if (flag_value.find_first_of(" \t\n") != std::string::npos) {
      auto parsed = parseCredentials(flag_value);
      if (parsed) {
        return parsed;
      }
    }
  }
  LOG(INFO) << "Loading credentials for authentication from '" << path << "'";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<mesos::Credentials>::error("Failed to read credentials file '" + path +
                                             "': No such file or not readable");
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (exists && (info.st_mode & S_IRWXO) != 0) {
    LOG(WARNING) << "Permissions on credentials file '" << path
                 << "' are too open; it is recommended that your credentials file is NOT "
                    "accessible by others";
  }
  return parseCredentials(content.str());
}

Result<mesos::Credential> parseCredential(const std::string& text) {
  if (isBlank(text)) {
    return Result<mesos::Credential>::error("Empty credential");
  }
  mesos::Credential credential;
  if (text[text.find_first_not_of(" \t\r\n")] == '{') {
    auto json = parseJson(text);
    if (!json) {
      return Result<mesos::Credential>::error("Invalid json format: " + json.message());
    }
    if (Status parsed = jsonToProtobuf(*json, &credential); !parsed) {
      return Result<mesos::Credential>::error("Failed to parse credential: " + parsed.message());
    }
  } else {
    std::istringstream fields(text);
    std::string principal, secret, extra;
    fields >> principal >> secret;
    if (principal.empty() || secret.empty() || (fields >> extra)) {
      return Result<mesos::Credential>::error(
          "Invalid credential format: expected 'principal secret'");
    }
    credential.set_principal(principal);
    credential.set_secret(secret);
  }
  if (credential.principal().empty()) {
    return Result<mesos::Credential>::error("Credential has no principal");
  }
  return credential;
}

Result<mesos::Credential> readCredential(const std::string& flag_value) {
  std::string path = flag_value;
  if (path.rfind("file://", 0) == 0) {
    path = path.substr(7);
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    // The flag loader may already have replaced "file://<path>" by the file's content.
    auto parsed = parseCredential(flag_value);
    if (parsed) {
      return parsed;
    }
    return Result<mesos::Credential>::error("Failed to read credential file '" + path +
                                            "': No such file or not readable");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Result<mesos::Credential>::error("Failed to read credential file '" + path + "'");
  }
  std::ostringstream content;
  content << in.rdbuf();
  if ((info.st_mode & S_IRWXO) != 0) {
    LOG(WARNING) << "Permissions on credential file '" << path
                 << "' are too open; it is recommended that your credential file is NOT "
                    "accessible by others";
  }
  return parseCredential(content.str());
}

std::map<std::string, std::string> secretsOf(const mesos::Credentials& credentials) {
  std::map<std::string, std::string> secrets;
  for (const auto& credential : credentials.credentials()) {
    secrets[credential.principal()] = credential.secret();
  }
  return secrets;
}

}  // namespace keel::auth
