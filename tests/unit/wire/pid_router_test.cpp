// Tests of Pid text forms and of the HTTP route table.

#include <gtest/gtest.h>

#include "wire/http_router.hpp"
#include "wire/pid.hpp"

namespace keel::wire {
namespace {

// Pids round-trip through text; the empty pid is "@0.0.0.0:0".
TEST(PidTest, ParseAndRender) {
  auto pid = Pid::parse("slave(1)@127.0.0.1:5051");
  ASSERT_TRUE(pid.has_value());
  EXPECT_EQ(pid->id, "slave(1)");
  EXPECT_EQ(pid->ip, "127.0.0.1");
  EXPECT_EQ(pid->port, 5051);
  EXPECT_EQ(pid->str(), "slave(1)@127.0.0.1:5051");
  EXPECT_EQ(pid->address(), "127.0.0.1:5051");
  EXPECT_EQ(Pid{}.str(), "@0.0.0.0:0");
  EXPECT_TRUE(Pid{}.empty());
  auto empty = Pid::parse("@0.0.0.0:0");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(*empty, Pid{});
  EXPECT_EQ(Pid::parse("scheduler-1@localhost:1")->ip, "127.0.0.1");
}

// Malformed pids are refused.
TEST(PidTest, RejectsMalformed) {
  for (const char* text : {"", "master", "master@", "master@1.2.3.4", "master@1.2.3.4:",
                           "master@1.2.3.4:x", "master@1.2.3.4:70000", "a/b@1.2.3.4:5", "m@:5"}) {
    EXPECT_FALSE(Pid::parse(text).has_value()) << text;
  }
}

// packIp gives the raw network-order s_addr that MasterInfo.ip carries.
TEST(PidTest, PackIp) {
  EXPECT_EQ(packIp("127.0.0.1"), 0x0100007fu);
  EXPECT_EQ(unpackIp(0x0100007fu), "127.0.0.1");
  EXPECT_EQ(unpackIp(packIp("10.1.2.3")), "10.1.2.3");
}

HttpHandler named(std::string* hit, std::string name) {
  return [hit, name](const HttpRequest&, Responder respond) {
    *hit = name;
    respond(HttpResponse{});
  };
}

// Exact routes win, then the longest prefix, then the delegate; "/.." never routes.
TEST(RouterTest, Lookup) {
  HttpRouter router;
  std::string hit;
  router.addRoute("/master/state", named(&hit, "state"));
  router.addRoute("/master/static", named(&hit, "static"));
  router.addRoute("/metrics/snapshot", named(&hit, "metrics"));
  router.setDelegate("master");
  auto processes = [](const std::string& id) { return id == "master" || id == "slave(1)"; };
  auto route = [&](const std::string& path) -> std::string {
    hit = "404";
    router.serve(
        HttpRequest{"GET", path, {}, {}, "", ""}, [](HttpResponse) {}, processes);
    return hit;
  };
  EXPECT_EQ(route("/master/state"), "state");
  EXPECT_EQ(route("/state"), "state");
  EXPECT_EQ(route("/metrics/snapshot"), "metrics");
  EXPECT_EQ(route("/master/static/js/app.js"), "static");
  EXPECT_EQ(route("/static/js/app.js"), "static");
  EXPECT_EQ(route("/master/nothing"), "404");
  EXPECT_EQ(route("/slave(1)/state"), "404");  // a process, so no delegation
  EXPECT_EQ(route("/master/../master/state"), "404");
  EXPECT_EQ(route("/master"), "404");
  EXPECT_EQ(route("/"), "404");
}

}  // namespace
}  // namespace keel::wire
