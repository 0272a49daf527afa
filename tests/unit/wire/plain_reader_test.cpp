// The parser's plain-request reader (the fast path for whole, simple requests) must give
// exactly what Beast gives: every request below, and every capture, is parsed both ways and
// the results compared field by field.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wire/message_codec.hpp"

namespace keel::wire {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  std::vector<ParsedRequest> requests;
  int failure = 0;
  bool mid_request = false;
};

Outcome parse(const std::string& bytes, bool plain, size_t max_body = 1 << 20,
              size_t max_header = 4096) {
  RequestParser parser(max_body, max_header);
  if (!plain) parser.disablePlainReader();
  Outcome out;
  (void)parser.feed(bytes);
  while (auto r = parser.next()) out.requests.push_back(std::move(*r));
  out.failure = parser.failureStatus();
  out.mid_request = parser.midRequest();
  return out;
}

void expectSame(const Outcome& plain, const Outcome& beast, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(plain.failure, beast.failure);
  EXPECT_EQ(plain.mid_request, beast.mid_request);
  ASSERT_EQ(plain.requests.size(), beast.requests.size());
  for (size_t i = 0; i < plain.requests.size(); ++i) {
    const ParsedRequest& a = plain.requests[i];
    const ParsedRequest& b = beast.requests[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.keep_alive, b.keep_alive);
    EXPECT_EQ(a.error, b.error);
    EXPECT_EQ(a.http.method, b.http.method);
    EXPECT_EQ(a.http.path, b.http.path);
    EXPECT_EQ(a.http.query, b.http.query);
    EXPECT_EQ(a.http.headers, b.http.headers);
    EXPECT_EQ(a.http.body, b.http.body);
    EXPECT_EQ(a.message.from, b.message.from);
    EXPECT_EQ(a.message.to, b.message.to);
    EXPECT_EQ(a.message.name, b.message.name);
    EXPECT_EQ(a.message.body, b.message.body);
  }
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> requests = {
      // Messages as libprocess sends them, and variations other clients send.
      "POST /master/mesos.internal.Ping HTTP/1.1\r\nUser-Agent: libprocess/a@1.2.3.4:5\r\n"
      "Libprocess-From: a@1.2.3.4:5\r\nConnection: Keep-Alive\r\nHost: 6.7.8.9:10\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nUser-Agent: libprocess/s@10.0.0.1:5\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nUser-Agent: curl/8\r\nlibprocess-from:   x@127.0.0.1:99  \r\n"
      "CONTENT-LENGTH: 4\r\n\r\nwxyz",
      "POST /slave%281%29/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n"
      "Transfer-Encoding: Chunked\r\n\r\n2\r\nab\r\nA\r\n0123456789\r\n0\r\n\r\n",
      "POST /m/n.M HTTP/1.0\r\nLibprocess-From: a@1.2.3.4:5\r\nContent-Length: 1\r\n\r\nz",
      "POST /m/n.M HTTP/1.0\r\nLibprocess-From: a@1.2.3.4:5\r\nConnection: keep-alive\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nConnection: close\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nConnection: close, foo\r\n\r\n",
      // Bad messages.
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: nonsense\r\n\r\n",
      "POST /m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n\r\n",
      "POST /m/n/o HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: \r\nUser-Agent: libprocess/bad\r\n\r\n",
      // Ordinary requests.
      "GET /master/state?jsonp=f&x=a%20b+c&flag HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
      "POST /api/v1/scheduler HTTP/1.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\n\r\nhi",
      "GET /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n\r\n",
      "GET /x HTTP/1.1\r\nX-Empty:\r\nX-Spaces:   v  \r\n\r\n",
      // Left to Beast: odd but valid framing, repeated headers, folding, tabs, trailers.
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nLibprocess-From: "
      "b@1.2.3.4:6\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From:\ta@1.2.3.4:5\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1;ext=1\r\nz\r\n0\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nz\r\n0\r\nTrailer: x\r\n\r\n",
      "POST /m/n.M HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
      "GET /x HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      "GET /x HTTP/1.1\r\nX-Bin: caf\xc3\xa9\r\n\r\n",
      // Errors.
      "G(T / HTTP/1.1\r\n\r\n",
      "GET /a%g0 HTTP/1.1\r\n\r\n",
      "GET x HTTP/1.1\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET / HTTP/1.2\r\n\r\n",
      "POST /a/b HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
      "POST /a/b HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST /a/b HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: "
      "chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
      "POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
      "POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
      "POST /a/b HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n",
      "GET / HTTP/1.1\r\nX: " + std::string(5000, 'x') + "\r\n\r\n",
      "GET / HTTP/1.1\nHost: h\n\n",
      // Incomplete.
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nContent-Length: 5\r\n\r\nab",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n",
      "POST /m/n.M HTTP/1.1\r\nLibprocess-From: a@1.2",
  };
  return requests;
}

// Each request alone, and each followed by a plain message, reads the same both ways.
TEST(PlainReaderTest, SameAsBeastForEveryRequest) {
  const std::string tail =
      "POST /m/t.T HTTP/1.1\r\nLibprocess-From: t@1.2.3.4:5\r\nContent-Length: 1\r\n\r\nt";
  for (const auto& bytes : corpus()) {
    expectSame(parse(bytes, true), parse(bytes, false), bytes);
    expectSame(parse(bytes + tail, true), parse(bytes + tail, false), bytes + " + tail");
    expectSame(parse(tail + bytes, true), parse(tail + bytes, false), "tail + " + bytes);
  }
}

// All captures pipelined on one connection, and split at every 97th byte, read the same
// both ways.
TEST(PlainReaderTest, SameAsBeastForCaptures) {
  const fs::path dir = fs::path(KEEL_SHARED_DIR) / "reference/wire-captures/messages";
  std::string all;
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".http" || name.find("-response-") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    expectSame(parse(bytes, true, 64 << 20, 64 << 10), parse(bytes, false, 64 << 20, 64 << 10),
               name);
    all += bytes;
    ++files;
  }
  ASSERT_GE(files, 150u);
  expectSame(parse(all, true, 64 << 20, 64 << 10), parse(all, false, 64 << 20, 64 << 10),
             "pipelined");
  RequestParser split;
  std::vector<ParsedRequest> pieces;
  for (size_t at = 0; at < all.size(); at += 97) {
    ASSERT_TRUE(split.feed(std::string_view(all).substr(at, 97)).isOk());
    while (auto r = split.next()) pieces.push_back(std::move(*r));
  }
  EXPECT_FALSE(split.midRequest());
  Outcome whole = parse(all, false, 64 << 20, 64 << 10);
  expectSame(Outcome{std::move(pieces), 0, false}, whole, "split every 97 bytes");
}

// A message read whole leaves no header list (nothing needs it); an HTTP request keeps its.
TEST(PlainReaderTest, MessagesCarryNoHeaderList) {
  auto out = parse(corpus()[0] + corpus()[13], true);
  ASSERT_EQ(out.requests.size(), 2u);
  EXPECT_EQ(out.requests[0].kind, ParsedRequest::Kind::kMessage);
  EXPECT_TRUE(out.requests[0].http.headers.empty());
  EXPECT_EQ(out.requests[1].kind, ParsedRequest::Kind::kHttp);
  EXPECT_EQ(out.requests[1].http.header("accept"), "*/*");
}

// appendMessage and appendResponse add exactly what the encoders return.
TEST(PlainReaderTest, AppendersMatchEncoders) {
  Message m{*Pid::parse("a@1.2.3.4:5"), *Pid::parse("b(1)@6.7.8.9:65535"), "x.Y", "body"};
  std::string out = "prefix";
  appendMessage(m, &out);
  EXPECT_EQ(out, "prefix" + encodeMessage(m));
  HttpResponse r{404, "text/plain", "nope", {{"X-A", "1"}}};
  out = "p";
  appendResponse(r, false, &out);
  EXPECT_EQ(out, "p" + encodeResponse(r, false));
  EXPECT_EQ(encodeResponse(HttpResponse{202, "text/plain", "", {}}, true),
            "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace keel::wire
