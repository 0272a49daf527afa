#include "wire/http_router.hpp"

#include <cctype>

namespace keel::wire {

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return "";
}

void HttpRouter::addRoute(const std::string& path, HttpHandler handler) {
  routes_[path] = std::move(handler);
}

const HttpHandler* HttpRouter::longestMatch(const std::string& path, size_t min_length) const {
  std::string candidate = path;
  while (candidate.size() >= min_length && !candidate.empty()) {
    auto it = routes_.find(candidate);
    if (it != routes_.end()) {
      return &it->second;
    }
    size_t slash = candidate.rfind('/');
    if (slash == 0 || slash == std::string::npos) {
      break;
    }
    candidate.resize(slash);
  }
  return nullptr;
}

const HttpHandler* HttpRouter::find(
    const std::string& path, const std::function<bool(const std::string&)>& is_process) const {
  if (path.empty() || path.front() != '/' || path.find("/..") != std::string::npos) {
    return nullptr;
  }
  if (const HttpHandler* handler = longestMatch(path, 1)) {
    return handler;
  }
  if (delegate_.empty()) {
    return nullptr;
  }
  size_t end = path.find('/', 1);
  std::string first = path.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  if (!first.empty() && is_process && is_process(first)) {
    return nullptr;
  }
  std::string prefix = "/" + delegate_;
  // Not below "/<delegate>/x": the delegate's own id is no route.
  return longestMatch(prefix + path, prefix.size() + 2);
}

void HttpRouter::serve(const HttpRequest& request, Responder respond,
                       const std::function<bool(const std::string&)>& is_process) const {
  const HttpHandler* handler = find(request.path, is_process);
  if (handler == nullptr) {
    respond(HttpResponse{404, "text/plain", "", {}});
    return;
  }
  (*handler)(request, std::move(respond));
}

}  // namespace keel::wire
