#pragma once

// The HTTP route table both transports share (spec §0.4): routes are full paths such as
// "/master/state"; a request that matches none is retried under the delegate process.

#include <functional>
#include <map>
#include <string>

#include "wire/transport.hpp"

namespace keel::wire {

class HttpRouter {
 public:
  void addRoute(const std::string& path, HttpHandler handler);
  void setDelegate(const std::string& process_id) { delegate_ = process_id; }
  const std::string& delegate() const { return delegate_; }

  // The handler for a percent-decoded `path`, or nullptr (answer 404):
  //  1. nullptr if the path contains "/..";
  //  2. the route equal to the path, else the longest route that is a prefix of it ending at
  //     a '/' boundary ("/master/static/js/app.js" is served by "/master/static");
  //  3. else, if a delegate is set and the first path component is not a local process
  //     (`is_process`), the same lookup for "/<delegate>" + path, so "/state" on a master is
  //     "/master/state".
  const HttpHandler* find(const std::string& path,
                          const std::function<bool(const std::string&)>& is_process) const;

  // Looks the request up and calls its handler, or answers 404 through `respond`.
  void serve(const HttpRequest& request, Responder respond,
             const std::function<bool(const std::string&)>& is_process) const;

 private:
  const HttpHandler* longestMatch(const std::string& path, size_t min_length) const;

  std::map<std::string, HttpHandler> routes_;
  std::string delegate_;
};

}  // namespace keel::wire
