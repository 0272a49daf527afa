#include "capture_reader.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace keel::proto_test {

namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// De-chunks `data`; stops at the 0-chunk or at the end of the data.
std::optional<std::string> dechunk(const std::string& data) {
  std::string body;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t eol = data.find("\r\n", pos);
    if (eol == std::string::npos) {
      return std::nullopt;
    }
    std::string size_text = data.substr(pos, eol - pos);
    size_t semi = size_text.find(';');  // chunk extensions are legal; ignore them
    if (semi != std::string::npos) {
      size_text.resize(semi);
    }
    size_t size = 0;
    try {
      size_t used = 0;
      size = std::stoul(size_text, &used, 16);
      if (used != size_text.size()) {
        return std::nullopt;
      }
    } catch (...) {
      return std::nullopt;
    }
    pos = eol + 2;
    if (size == 0) {
      return body;
    }
    if (pos + size + 2 > data.size() || data.compare(pos + size, 2, "\r\n") != 0) {
      return std::nullopt;
    }
    body.append(data, pos, size);
    pos += size + 2;
  }
  return body;
}

}  // namespace

std::vector<CaptureFile> listCaptures(const std::string& dir) {
  std::vector<CaptureFile> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".http") {
      continue;
    }
    CaptureFile file;
    file.stem = path.stem().string();
    file.http_path = path.string();
    auto txt = path;
    txt.replace_extension(".txt");
    if (std::filesystem::exists(txt)) {
      file.txt_path = txt.string();
    }
    out.push_back(std::move(file));
  }
  std::sort(out.begin(), out.end(),
            [](const CaptureFile& a, const CaptureFile& b) { return a.stem < b.stem; });
  return out;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> httpBody(const std::string& message) {
  size_t header_end = message.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return std::nullopt;
  }
  bool chunked = false;
  std::optional<size_t> content_length;
  size_t pos = message.find("\r\n") + 2;  // skip the request or status line
  while (pos < header_end + 2) {
    size_t eol = message.find("\r\n", pos);
    std::string line = message.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = trim(line.substr(0, colon));
    std::string value = trim(line.substr(colon + 1));
    if (iequals(name, "Transfer-Encoding") && iequals(value, "chunked")) {
      chunked = true;
    } else if (iequals(name, "Content-Length")) {
      content_length = std::stoul(value);
    }
  }
  std::string rest = message.substr(header_end + 4);
  if (chunked) {
    return dechunk(rest);
  }
  if (content_length) {
    if (rest.size() < *content_length) {
      return std::nullopt;
    }
    return rest.substr(0, *content_length);
  }
  return std::string();
}

std::optional<std::vector<std::string>> recordIoRecords(const std::string& stream) {
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t nl = stream.find('\n', pos);
    if (nl == std::string::npos || nl == pos || nl - pos > 20) {
      return std::nullopt;
    }
    size_t length = 0;
    for (size_t i = pos; i < nl; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(stream[i]))) {
        return std::nullopt;
      }
      length = length * 10 + static_cast<size_t>(stream[i] - '0');
    }
    pos = nl + 1;
    if (stream.size() - pos < length) {
      return std::nullopt;
    }
    records.push_back(stream.substr(pos, length));
    pos += length;
  }
  return records;
}

bool isRecordIoStream(const std::string& stem) { return endsWith(stem, "-v1-response-200"); }

std::string captureType(const std::string& stem) {
  if (endsWith(stem, "-v1-master-api-v1-scheduler")) {
    return "mesos.v1.scheduler.Call";
  }
  if (isRecordIoStream(stem)) {
    return "mesos.v1.scheduler.Event";
  }
  size_t dash = stem.find('-');
  return dash == std::string::npos ? stem : stem.substr(dash + 1);
}

}  // namespace keel::proto_test
