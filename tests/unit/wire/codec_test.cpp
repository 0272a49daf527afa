// Tests of the libprocess framing: the encoder and the incremental request parser, checked
// against the Mesos 1.12 traffic recorded in wire-captures.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wire/message_codec.hpp"

namespace keel::wire {
namespace {

namespace fs = std::filesystem;

const fs::path kCaptures = fs::path(KEEL_SHARED_DIR) / "reference/wire-captures/messages";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What a capture file says, read with this test's own minimal reading of HTTP.
struct Expected {
  std::string method;
  std::string path;
  std::string from_header;  // Libprocess-From value, if any
  std::string host;
  std::string body;
};

std::string headerValue(const std::string& head, const std::string& name) {
  std::string key = "\r\n" + name + ": ";
  size_t at = head.find(key);
  if (at == std::string::npos) {
    return "";
  }
  size_t start = at + key.size();
  return head.substr(start, head.find("\r\n", start) - start);
}

// Decodes a chunked body independently of the code under test.
std::string dechunk(std::string_view rest) {
  std::string body;
  for (;;) {
    size_t eol = rest.find("\r\n");
    size_t size = std::stoul(std::string(rest.substr(0, eol)), nullptr, 16);
    rest.remove_prefix(eol + 2);
    if (size == 0) {
      return body;
    }
    body += rest.substr(0, size);
    rest.remove_prefix(size + 2);
  }
}

Expected readCapture(const std::string& bytes) {
  Expected e;
  size_t head_end = bytes.find("\r\n\r\n");
  std::string head = bytes.substr(0, head_end + 2);
  size_t space = head.find(' ');
  e.method = head.substr(0, space);
  e.path = head.substr(space + 1, head.find(' ', space + 1) - space - 1);
  e.from_header = headerValue(head, "Libprocess-From");
  e.host = headerValue(head, "Host");
  std::string rest = bytes.substr(head_end + 4);
  if (headerValue(head, "Transfer-Encoding") == "chunked") {
    e.body = dechunk(rest);
  } else {
    std::string length = headerValue(head, "Content-Length");
    e.body = length.empty() ? "" : rest.substr(0, std::stoul(length));
  }
  return e;
}

std::vector<fs::path> requestCaptures() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kCaptures)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".http" && name.find("-v1-response-") == std::string::npos) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool isV1(const fs::path& file) {
  return file.filename().string().find("-v1-") != std::string::npos;
}

// Checks one parse of a capture against what the capture says.
void checkParsed(const fs::path& file, const Expected& e, const ParsedRequest& r,
                 const std::string& how) {
  SCOPED_TRACE(file.filename().string() + " " + how);
  EXPECT_EQ(r.http.method, e.method);
  EXPECT_EQ(r.http.path, e.path);
  EXPECT_TRUE(r.keep_alive);
  if (isV1(file)) {
    ASSERT_EQ(r.kind, ParsedRequest::Kind::kHttp);
    EXPECT_EQ(r.http.body, e.body);
    return;
  }
  ASSERT_EQ(r.kind, ParsedRequest::Kind::kMessage) << r.error;
  EXPECT_EQ(r.message.from.str(), e.from_header);
  EXPECT_EQ("/" + r.message.to.id + "/" + r.message.name, e.path);
  EXPECT_EQ(r.message.body, e.body);
}

std::vector<ParsedRequest> parseSplit(const std::string& bytes, size_t split) {
  RequestParser parser;
  std::vector<ParsedRequest> out;
  for (std::string_view part :
       {std::string_view(bytes).substr(0, split), std::string_view(bytes).substr(split)}) {
    EXPECT_TRUE(parser.feed(part).isOk()) << parser.failureReason();
    while (auto r = parser.next()) {
      out.push_back(std::move(*r));
    }
  }
  EXPECT_FALSE(parser.midRequest());
  return out;
}

// Every recorded request parses, whole and split in two at every byte, into what it says.
TEST(CaptureParseTest, EveryCaptureParsesWholeAndAtEverySplit) {
  auto files = requestCaptures();
  ASSERT_GE(files.size(), 150u) << "captures missing at " << kCaptures;
  size_t messages = 0;
  for (const auto& file : files) {
    const std::string bytes = readFile(file);
    const Expected e = readCapture(bytes);
    messages += isV1(file) ? 0 : 1;
    for (size_t split = 0; split <= bytes.size(); ++split) {
      auto parsed = parseSplit(bytes, split);
      ASSERT_EQ(parsed.size(), 1u) << file << " split at " << split;
      checkParsed(file, e, parsed[0], "split at " + std::to_string(split));
      if (::testing::Test::HasFailure()) {
        return;
      }
    }
  }
  EXPECT_GE(messages, 150u);
}

// Feeding one byte at a time, and all captures back to back on one connection, also works.
TEST(CaptureParseTest, BytewiseAndPipelined) {
  auto files = requestCaptures();
  RequestParser pipelined;
  std::vector<Expected> expected;
  for (const auto& file : files) {
    const std::string bytes = readFile(file);
    expected.push_back(readCapture(bytes));
    RequestParser parser;
    for (char c : bytes) {
      ASSERT_TRUE(parser.feed(std::string_view(&c, 1)).isOk()) << file;
    }
    auto r = parser.next();
    ASSERT_TRUE(r.has_value()) << file;
    checkParsed(file, expected.back(), *r, "bytewise");
    ASSERT_TRUE(pipelined.feed(bytes).isOk()) << file;
  }
  for (size_t i = 0; i < files.size(); ++i) {
    auto r = pipelined.next();
    ASSERT_TRUE(r.has_value()) << files[i];
    checkParsed(files[i], expected[i], *r, "pipelined");
  }
  EXPECT_FALSE(pipelined.next().has_value());
}

// The encoder reproduces every recorded libprocess message byte for byte.
TEST(EncodeTest, ReproducesEveryMessageCapture) {
  size_t checked = 0;
  for (const auto& file : requestCaptures()) {
    if (isV1(file)) {
      continue;
    }
    const std::string bytes = readFile(file);
    const Expected e = readCapture(bytes);
    Message m;
    auto from = Pid::parse(e.from_header);
    ASSERT_TRUE(from.has_value()) << file;
    m.from = *from;
    std::string receiver;
    ASSERT_TRUE(splitMessagePath(e.path, &receiver, &m.name)) << file;
    auto to = Pid::parse(receiver + "@" + e.host);
    ASSERT_TRUE(to.has_value()) << file;
    m.to = *to;
    m.body = e.body;
    EXPECT_EQ(encodeMessage(m), bytes) << file;
    ++checked;
  }
  EXPECT_GE(checked, 150u);
}

// An empty body has no Transfer-Encoding; a large one uses a lowercase hex chunk size.
TEST(EncodeTest, EmptyAndLargeBodies) {
  Message m{*Pid::parse("a@1.2.3.4:5"), *Pid::parse("b(1)@6.7.8.9:10"), "x.Y", ""};
  EXPECT_EQ(encodeMessage(m),
            "POST /b(1)/x.Y HTTP/1.1\r\nUser-Agent: libprocess/a@1.2.3.4:5\r\n"
            "Libprocess-From: a@1.2.3.4:5\r\nConnection: Keep-Alive\r\nHost: 6.7.8.9:10\r\n\r\n");
  m.body = std::string(0xabc, 'z');
  std::string encoded = encodeMessage(m);
  EXPECT_NE(encoded.find("Transfer-Encoding: chunked\r\n\r\nabc\r\nzzz"), std::string::npos);
  EXPECT_EQ(encoded.substr(encoded.size() - 7), "\r\n0\r\n\r\n");
}

// A non-libprocess client may send a message with only Libprocess-From and Content-Length,
// any header case, and a percent-encoded receiver.
TEST(ParserTest, LibprocessFromOnlyWithContentLength) {
  RequestParser parser;
  ASSERT_TRUE(parser
                  .feed("POST /slave%281%29/mesos.internal.Ping HTTP/1.1\r\n"
                        "libprocess-from:   x@127.0.0.1:99  \r\nconnection: keep-alive\r\n"
                        "Content-Length: 3\r\n\r\nabc")
                  .isOk());
  auto r = parser.next();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->kind, ParsedRequest::Kind::kMessage);
  EXPECT_EQ(r->message.from.str(), "x@127.0.0.1:99");
  EXPECT_EQ(r->message.to.id, "slave(1)");
  EXPECT_EQ(r->message.name, "mesos.internal.Ping");
  EXPECT_EQ(r->message.body, "abc");
}

// Without Libprocess-From the sender comes from a libprocess/ User-Agent.
TEST(ParserTest, SenderFromUserAgent) {
  RequestParser parser;
  ASSERT_TRUE(
      parser.feed("POST /m/n.M HTTP/1.1\r\nUser-Agent: libprocess/s@10.0.0.1:5\r\n\r\n").isOk());
  auto r = parser.next();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->kind, ParsedRequest::Kind::kMessage);
  EXPECT_EQ(r->message.from.str(), "s@10.0.0.1:5");
  EXPECT_EQ(r->message.body, "");
}

// GETs, and POSTs without libprocess headers, are ordinary HTTP requests with a parsed query.
TEST(ParserTest, OrdinaryRequestsAndQuery) {
  RequestParser parser;
  ASSERT_TRUE(parser
                  .feed("GET /master/state?jsonp=f&x=a%20b+c&flag HTTP/1.1\r\nHost: h\r\n\r\n"
                        "POST /master/api/v1/scheduler HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi")
                  .isOk());
  auto get = parser.next();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->kind, ParsedRequest::Kind::kHttp);
  EXPECT_EQ(get->http.path, "/master/state");
  EXPECT_EQ(get->http.query.at("jsonp"), "f");
  EXPECT_EQ(get->http.query.at("x"), "a b c");
  EXPECT_EQ(get->http.query.at("flag"), "");
  EXPECT_EQ(get->http.header("host"), "h");
  auto post = parser.next();
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->kind, ParsedRequest::Kind::kHttp);
  EXPECT_EQ(post->http.body, "hi");
}

// A message with a bad sender or a path without a name is a bad message, not an error.
TEST(ParserTest, BadMessages) {
  RequestParser parser;
  ASSERT_TRUE(parser
                  .feed("POST /m/n HTTP/1.1\r\nLibprocess-From: nonsense\r\n\r\n"
                        "POST /m HTTP/1.1\r\nLibprocess-From: a@1.2.3.4:5\r\n\r\n")
                  .isOk());
  for (int i = 0; i < 2; ++i) {
    auto r = parser.next();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->kind, ParsedRequest::Kind::kBadMessage);
    EXPECT_FALSE(r->error.empty());
  }
}

// Errors carry the status that answers them, and the parser stays failed.
TEST(ParserTest, ErrorsAndLimits) {
  struct Case {
    std::string bytes;
    int status;
  };
  const std::vector<Case> cases = {
      {"G(T / HTTP/1.1\r\n\r\n", 400},
      {"POST /a/b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400},
      {"POST /a/b HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
      {"GET /a%g0 HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX: " + std::string(200, 'x') + "\r\n\r\n", 431},
  };
  for (const auto& c : cases) {
    RequestParser parser(10, 128);
    EXPECT_FALSE(parser.feed(c.bytes).isOk()) << c.bytes;
    EXPECT_TRUE(parser.failed());
    EXPECT_EQ(parser.failureStatus(), c.status) << c.bytes;
    EXPECT_FALSE(parser.feed("GET / HTTP/1.1\r\n\r\n").isOk());
    EXPECT_FALSE(parser.next().has_value());
  }
}

// inHeader() is true only while a request header is incomplete.
TEST(ParserTest, HeaderProgress) {
  RequestParser parser;
  EXPECT_FALSE(parser.inHeader());
  ASSERT_TRUE(parser.feed("POST /a/b HTTP/1.1\r\nContent-Le").isOk());
  EXPECT_TRUE(parser.inHeader());
  ASSERT_TRUE(parser.feed("ngth: 4\r\n\r\nab").isOk());
  EXPECT_FALSE(parser.inHeader());
  EXPECT_TRUE(parser.midRequest());
  ASSERT_TRUE(parser.feed("cd").isOk());
  EXPECT_FALSE(parser.midRequest());
  EXPECT_TRUE(parser.next().has_value());
}

// takeContinue() answers once for an Expect: 100-continue request still missing its body.
TEST(ParserTest, ExpectContinue) {
  RequestParser parser;
  ASSERT_TRUE(parser.feed("POST /a/b HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
                  .isOk());
  EXPECT_TRUE(parser.takeContinue());
  EXPECT_FALSE(parser.takeContinue());
  ASSERT_TRUE(parser.feed("ok").isOk());
  EXPECT_TRUE(parser.next().has_value());
  ASSERT_TRUE(
      parser.feed("POST /a/b HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
          .isOk());
  EXPECT_FALSE(parser.takeContinue());  // the body is already here
}

// Responses carry status, reason, length and the connection decision.
TEST(EncodeTest, Response) {
  EXPECT_EQ(encodeResponse(HttpResponse{202, "text/plain", "", {}}, true),
            "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(encodeResponse(HttpResponse{404, "application/json", "{}", {{"X-A", "1"}}}, false),
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nX-A: 1\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
}

}  // namespace
}  // namespace keel::wire
