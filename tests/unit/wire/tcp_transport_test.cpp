// Tests of TcpTransport over loopback sockets: messages both ways, links, HTTP routing,
// and a table of malformed requests the server must answer and survive.

#include "wire/tcp_transport.hpp"

#include <gtest/gtest.h>

#include <set>

#include "runtime/event_loop.hpp"
#include "wire/message_codec.hpp"
#include "wire_test_util.hpp"

namespace keel::wire {
namespace {

using testing::kWait;
using testing::onLoop;
using testing::RawClient;
using testing::Recorder;
using namespace std::chrono_literals;

// One loop and one transport with a process "proc" that accepts test.Ok, calls test.Bad
// malformed and knows no other message.
struct Node {
  explicit Node(TcpOptions options = {}) {
    loop.start();
    transport = onLoop(loop, [&] {
      auto created = TcpTransport::create(loop, options);
      EXPECT_TRUE(created.isOk()) << created.message();
      return std::move(created).value();
    });
    onLoop(loop, [&] {
      transport->addProcess("proc", ProcessHandlers{[this](Message&& m) {
                                                      if (m.name == "test.Ok") {
                                                        received.add(std::move(m));
                                                        return Delivery::kAccepted;
                                                      }
                                                      return m.name == "test.Bad"
                                                                 ? Delivery::kMalformed
                                                                 : Delivery::kUnknownMessage;
                                                    },
                                                    [this](const Pid& pid) { exited.add(pid); }});
      return 0;
    });
  }
  ~Node() {
    onLoop(loop, [&] {
      transport.reset();
      return 0;
    });
    loop.stop();
    loop.join();
  }
  Pid pid(const std::string& id = "proc") const { return transport->pidOf(id); }
  uint16_t port() const { return transport->port(); }

  runtime::EventLoop loop;
  std::unique_ptr<TcpTransport> transport;
  Recorder<Message> received;
  Recorder<Pid> exited;
};

std::string validMessage(const Node& node, const std::string& body) {
  return encodeMessage(Message{*Pid::parse("client@127.0.0.1:1"), node.pid(), "test.Ok", body});
}

std::string messageHead(const std::string& path) {
  return "POST " + path +
         " HTTP/1.1\r\nLibprocess-From: client@127.0.0.1:1\r\nHost: 127.0.0.1:1\r\n";
}

struct BadCase {
  std::string name;
  std::string bytes;
  int status;               // 0: the server closes without answering
  bool half_close = false;  // the client stops sending after the bytes
  int delivered = 0;        // messages the process gets from the bytes
};

std::vector<BadCase> badCases() {
  const std::string chunked = messageHead("/proc/test.Ok") + "Transfer-Encoding: chunked\r\n\r\n";
  return {
      {"bad method token", "G(T /proc/test.Ok HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"request line without version", "POST /proc/test.Ok\r\nHost: h\r\n\r\n", 400},
      {"bad version token", "POST /proc/test.Ok HTTX/1.1\r\nHost: h\r\n\r\n", 400},
      {"header line without colon", messageHead("/proc/test.Ok") + "NoColon\r\n\r\n", 400},
      {"bad chunk size", chunked + "zz\r\nab\r\n0\r\n\r\n", 400},
      {"chunk longer than declared", chunked + "2\r\nabcd\r\n0\r\n\r\n", 400},
      {"truncated chunk then EOF", chunked + "a\r\nabc", 0, true},
      {"unknown process", messageHead("/nobody/test.Ok") + "\r\n", 404},
      {"unknown message", messageHead("/proc/test.Nope") + "\r\n", 404},
      {"unparsable body", messageHead("/proc/test.Bad") + "Content-Length: 1\r\n\r\nx", 400},
      {"oversized Content-Length", messageHead("/proc/test.Ok") + "Content-Length: 100000\r\n\r\n",
       413},
      {"oversized chunked body", chunked + "800\r\n" + std::string(0x800, 'x') + "\r\n0\r\n\r\n",
       413},
      {"invalid Libprocess-From",
       "POST /proc/test.Ok HTTP/1.1\r\nLibprocess-From: not-a-pid\r\n\r\n", 400},
      {"dot-dot path", messageHead("/proc/../proc/test.Ok") + "\r\n", 404},
      {"TLS hello with line ends", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\r\n\r\n", 12),
       400},
      {"binary garbage without line ends", std::string("\x16\x03\x01\x00\xa5\x01\x00", 7), 400},
      {"token garbage without line ends", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
      {"missing Host", "POST /proc/test.Ok HTTP/1.1\r\nLibprocess-From: c@127.0.0.1:1\r\n\r\n", 202,
       false, 1},
      {"slow client", "POST /proc/te", 0},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"Content-Length with chunked",
       messageHead("/proc/test.Ok") +
           "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400},
      {"non-numeric Content-Length", messageHead("/proc/test.Ok") + "Content-Length: 1x\r\n\r\n",
       400},
      {"bad percent escape", messageHead("/pr%zzoc/test.Ok") + "\r\n", 400},
      {"asterisk target", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"oversized header",
       messageHead("/proc/test.Ok") + "X: " + std::string(70000, 'h') + "\r\n\r\n", 431},
      {"message path without name", messageHead("/proc") + "\r\n", 400},
      {"GET with libprocess headers",
       "GET /proc/test.Ok HTTP/1.1\r\nLibprocess-From: "
       "c@127.0.0.1:1\r\n\r\n",
       404},
      {"garbage then EOF", "G(T / HTTP/1.1\r\n\r\n", 400, true},
      {"message then EOF", messageHead("/proc/test.Ok") + "\r\n", 202, true, 1},
      {"HTTP/1.0 message", "POST /proc/test.Ok HTTP/1.0\r\nLibprocess-From: c@127.0.0.1:1\r\n\r\n",
       202, false, 1},
  };
}

// Each malformed request gets its status (or a closed connection), is logged, and the
// server goes on delivering valid messages afterwards.
TEST(TcpTransportTest, MalformedRequestsAreAnsweredAndSurvived) {
  TcpOptions options;
  options.max_body_bytes = 1024;
  options.header_timeout = 200ms;
  Node node(options);
  const auto cases = badCases();
  ASSERT_GE(cases.size(), 15u);
  size_t expected_deliveries = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    {
      RawClient client(node.port());
      ASSERT_TRUE(client.connected());
      ASSERT_TRUE(client.send(c.bytes));
      if (c.half_close) {
        client.shutdownWrite();
      }
      if (c.status == 0) {
        EXPECT_TRUE(client.waitClosed(5s));
        EXPECT_EQ(client.leftover(), "");
      } else {
        auto response = client.readResponse();
        ASSERT_TRUE(response.has_value());
        EXPECT_EQ(response->status, c.status) << response->head;
        if (c.status == 400 && c.name != "unparsable body" && c.name != "invalid Libprocess-From" &&
            c.name != "message path without name") {
          // Broken framing: the server cannot find the next request, so it hangs up.
          EXPECT_NE(response->head.find("Connection: close"), std::string::npos);
          EXPECT_TRUE(client.waitClosed(5s));
        }
        if (c.half_close) {
          EXPECT_TRUE(client.waitClosed(5s));  // answered, then closed as the client is done
        }
      }
    }
    expected_deliveries += c.delivered + 1;
    RawClient after(node.port());
    ASSERT_TRUE(after.send(validMessage(node, "after " + c.name)));
    auto response = after.readResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 202);
    ASSERT_TRUE(node.received.waitFor(expected_deliveries));
    EXPECT_EQ(node.received.values().back().body, "after " + c.name);
  }
  EXPECT_EQ(node.received.size(), expected_deliveries);
}

// A keep-alive connection carries many messages, answered 202 each, delivered in order with
// the sender and receiver pids filled in.
TEST(TcpTransportTest, KeepAliveConnectionDeliversInOrder) {
  Node node;
  RawClient client(node.port());
  std::string all;
  for (int i = 0; i < 50; ++i) {
    all += validMessage(node, std::to_string(i));
  }
  ASSERT_TRUE(client.send(all));
  for (int i = 0; i < 50; ++i) {
    auto response = client.readResponse();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->status, 202);
  }
  ASSERT_TRUE(node.received.waitFor(50));
  auto got = node.received.values();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(got[i].body, std::to_string(i));
    EXPECT_EQ(got[i].from.str(), "client@127.0.0.1:1");
    EXPECT_EQ(got[i].to, node.pid());
  }
}

// Two transports send each other messages on their own connections, in order both ways.
TEST(TcpTransportTest, TwoTransportsExchangeMessagesInOrder) {
  Node a;
  Node b;
  constexpr int kCount = 300;
  auto sendAll = [](Node& from, Node& to) {
    onLoop(from.loop, [&] {
      for (int i = 0; i < kCount; ++i) {
        from.transport->send(Message{from.pid(), to.pid(), "test.Ok", "m" + std::to_string(i)});
      }
      return 0;
    });
  };
  sendAll(a, b);
  sendAll(b, a);
  ASSERT_TRUE(a.received.waitFor(kCount));
  ASSERT_TRUE(b.received.waitFor(kCount));
  for (Node* n : {&a, &b}) {
    auto got = n->received.values();
    ASSERT_EQ(got.size(), static_cast<size_t>(kCount));
    for (int i = 0; i < kCount; ++i) {
      EXPECT_EQ(got[i].body, "m" + std::to_string(i));
    }
  }
  EXPECT_EQ(a.received.values()[0].from, b.pid());
  EXPECT_EQ(b.received.values()[0].from, a.pid());
}

// A message to a local pid goes through the loop, not a socket, and arrives.
TEST(TcpTransportTest, LocalSend) {
  Node node;
  onLoop(node.loop, [&] {
    node.transport->send(Message{node.pid("other"), node.pid(), "test.Ok", "self"});
    EXPECT_EQ(node.received.size(), 0u);  // never delivered reentrantly
    return 0;
  });
  ASSERT_TRUE(node.received.waitFor(1));
  EXPECT_EQ(node.received.values()[0].body, "self");
}

// When a linked peer shuts down, the linking process gets on_exited once; a later send
// reconnects (and fails, telling only processes linked at that time).
TEST(TcpTransportTest, LinkFiresExitedWhenPeerShutsDown) {
  Node a;
  Node b;
  Recorder<Pid> second;
  onLoop(a.loop, [&] {
    a.transport->addProcess("second", ProcessHandlers{[](Message&&) { return Delivery::kAccepted; },
                                                      [&](const Pid& p) { second.add(p); }});
    a.transport->link("proc", b.pid());
    a.transport->send(Message{a.pid(), b.pid(), "test.Ok", "hello"});
    return 0;
  });
  ASSERT_TRUE(b.received.waitFor(1));  // the connection is up
  EXPECT_EQ(a.exited.size(), 0u);
  onLoop(b.loop, [&] {
    b.transport->shutdown();
    return 0;
  });
  ASSERT_TRUE(a.exited.waitFor(1));
  EXPECT_EQ(a.exited.values()[0], b.pid());
  onLoop(a.loop, [&] {
    a.transport->link("second", b.pid());
    a.transport->send(Message{a.pid(), b.pid(), "test.Ok", "lost"});
    return 0;
  });
  ASSERT_TRUE(second.waitFor(1));
  a.loop.drain();
  EXPECT_EQ(a.exited.size(), 1u);
  EXPECT_EQ(b.received.size(), 1u);
}

// Linking to an address where nothing listens is noticed without sending anything; an
// unlinked process is not told.
TEST(TcpTransportTest, LinkToDeadPeerAndUnlink) {
  Pid dead;
  {
    Node gone;
    dead = gone.pid();
  }
  Node a;
  Recorder<Pid> other;
  onLoop(a.loop, [&] {
    a.transport->addProcess("other", ProcessHandlers{[](Message&&) { return Delivery::kAccepted; },
                                                     [&](const Pid& p) { other.add(p); }});
    a.transport->link("other", dead);
    a.transport->unlink("other", dead);
    a.transport->link("proc", dead);
    return 0;
  });
  ASSERT_TRUE(a.exited.waitFor(1));
  EXPECT_EQ(a.exited.values()[0], dead);
  a.loop.drain();
  EXPECT_EQ(other.size(), 0u);
}

// Removing a process drops exactly its own links (remote and local): the others are still
// told of a peer's death, and an id added again starts without links.
TEST(TcpTransportTest, RemovedProcessesLoseTheirLinksOnly) {
  Node a;
  Node b;
  constexpr int kProcesses = 2000;
  Recorder<std::string> exits;  // "<local> <peer id>"
  auto add = [&](const std::string& id, const std::string& label) {
    a.transport->addProcess(id, ProcessHandlers{[](Message&&) { return Delivery::kAccepted; },
                                                [&exits, label](const Pid& peer) {
                                                  exits.add(label + " " + peer.id);
                                                }});
  };
  onLoop(a.loop, [&] {
    for (int i = 0; i < kProcesses; ++i) {
      const std::string id = "p" + std::to_string(i);
      add(id, id);
      a.transport->link(id, b.pid());
      a.transport->link(id, b.pid("other"));
    }
    add("target", "target");
    a.transport->link("p1", a.pid("p0"));
    a.transport->link("p1", a.pid("target"));
    a.transport->link("p5", a.pid("target"));
    a.transport->unlink("p3", b.pid("other"));
    for (int i = 0; i < kProcesses; i += 2) {
      a.transport->removeProcess("p" + std::to_string(i));
    }
    a.transport->removeProcess("p5");
    add("p4", "new-p4");
    add("p5", "new-p5");
    a.transport->removeProcess("target");
    a.transport->send(Message{a.pid("p3"), b.pid(), "test.Ok", "up"});
    return 0;
  });
  ASSERT_TRUE(b.received.waitFor(1));  // the connection is up
  ASSERT_TRUE(exits.waitFor(2));       // p1 heard of p0 and of "target"
  onLoop(b.loop, [&] {
    b.transport->shutdown();
    return 0;
  });
  // The odd processes but p5 hear of both peers, p3 only of "proc" (it unlinked "other").
  const size_t want = 2 + 2 * (kProcesses / 2 - 1) - 1;
  ASSERT_TRUE(exits.waitFor(want));
  a.loop.drain();
  std::multiset<std::string> got;
  for (const auto& e : exits.values()) got.insert(e);
  EXPECT_EQ(got.size(), want);
  EXPECT_EQ(got.count("p1 p0"), 1u);
  EXPECT_EQ(got.count("p1 target"), 1u);
  EXPECT_EQ(got.count("p3 proc"), 1u);
  EXPECT_EQ(got.count("p3 other"), 0u);
  EXPECT_EQ(got.count("p7 other"), 1u);
  for (const auto& e : got) {
    const std::string local = e.substr(0, e.find(' '));
    ASSERT_EQ(local[0], 'p') << e;
    const int n = std::stoi(local.substr(1));
    ASSERT_TRUE(n % 2 == 1 && n != 5) << e;
  }
}

// Routes answer by exact path, through the delegate, with parsed queries, asynchronously,
// in order for pipelined requests; unknown paths and "/.." get 404.
TEST(TcpTransportTest, HttpRoutingAndPipelining) {
  Node node;
  onLoop(node.loop, [&] {
    auto* loop = &node.loop;
    node.transport->addRoute("/master/state", [](const HttpRequest& r, Responder respond) {
      respond(HttpResponse{200, "application/json", "{\"x\":\"" + r.query.at("x") + "\"}", {}});
    });
    node.transport->addRoute("/master/slow", [loop](const HttpRequest& r, Responder respond) {
      loop->schedule(50ms, [respond, body = r.body] {
        respond(HttpResponse{200, "text/plain", "slow:" + body, {}});
      });
    });
    node.transport->setDelegate("master");
    return 0;
  });
  RawClient client(node.port());
  ASSERT_TRUE(
      client.send("POST /master/slow HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab"
                  "GET /state?x=a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /nothing HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /master/../master/state HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /master/state?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
  const std::vector<std::pair<int, std::string>> expected = {
      {200, "slow:ab"}, {200, "{\"x\":\"a/b\"}"}, {404, ""}, {404, ""}, {200, "{\"x\":\"1\"}"}};
  for (const auto& [status, body] : expected) {
    auto response = client.readResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(response->body, body);
  }
  EXPECT_FALSE(client.waitClosed(100ms));  // keep-alive
}

// Large bodies (written from their own buffer, not copied behind the header) and small
// answers pipelined around them arrive whole and in request order.
TEST(TcpTransportTest, LargeBodiesInPipelineOrder) {
  Node node;
  auto big = [](char seed) {
    std::string body(3 * 1024 * 1024 + 7, ' ');
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(seed + i % 23);
    return body;
  };
  onLoop(node.loop, [&] {
    node.transport->addRoute("/master/small", [](const HttpRequest& r, Responder respond) {
      respond(HttpResponse{200, "text/plain", "small:" + r.query.at("x"), {}});
    });
    node.transport->addRoute("/master/big", [big](const HttpRequest& r, Responder respond) {
      respond(HttpResponse{200, "text/plain", big(r.query.at("x")[0]), {}});
    });
    node.transport->setDelegate("master");
    return 0;
  });
  RawClient client(node.port());
  ASSERT_TRUE(client.send("GET /master/small?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
                          "GET /master/big?x=a HTTP/1.1\r\nHost: h\r\n\r\n"
                          "GET /master/big?x=B HTTP/1.1\r\nHost: h\r\n\r\n"
                          "GET /master/small?x=2 HTTP/1.1\r\nHost: h\r\n\r\n"
                          "GET /master/big?x=c HTTP/1.1\r\nHost: h\r\n\r\n"));
  const std::vector<std::string> expected = {"small:1", big('a'), big('B'), "small:2", big('c')};
  for (const auto& body : expected) {
    auto response = client.readResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->body == body) << "a body of " << response->body.size() << " bytes";
  }
}

// A client sending `Expect: 100-continue` is told to go on before it sends the body.
TEST(TcpTransportTest, ExpectContinue) {
  Node node;
  RawClient client(node.port());
  ASSERT_TRUE(client.send(messageHead("/proc/test.Ok") +
                          "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.readResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("body"));
  auto response = client.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 202);
  ASSERT_TRUE(node.received.waitFor(1));
  EXPECT_EQ(node.received.values()[0].body, "body");
}

// Binding a port that is taken fails with a message instead of throwing.
TEST(TcpTransportTest, BindFailureIsAnError) {
  Node node;
  TcpOptions options;
  options.port = node.port();
  auto second = TcpTransport::create(node.loop, options);
  EXPECT_FALSE(second.isOk());
  EXPECT_FALSE(second.message().empty());
  TcpOptions bad;
  bad.ip = "not-an-ip";
  EXPECT_FALSE(TcpTransport::create(node.loop, bad).isOk());
}

}  // namespace
}  // namespace keel::wire
