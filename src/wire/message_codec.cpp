#include "wire/message_codec.hpp"

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

namespace keel::wire {

namespace http = boost::beast::http;

namespace {

void appendPort(std::string* out, std::uint16_t port) {
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
  out->append(digits, end);
}

void appendPid(std::string* out, const Pid& pid) {
  *out += pid.id;
  *out += '@';
  *out += pid.ip;
  *out += ':';
  appendPort(out, pid.port);
}

}  // namespace

void appendMessage(const Message& m, std::string* out) {
  out->reserve(out->size() + m.body.size() + 2 * (m.from.id.size() + m.from.ip.size()) +
               m.name.size() + m.to.id.size() + m.to.ip.size() + 180);
  *out += "POST /";
  *out += m.to.id;
  *out += '/';
  *out += m.name;
  *out += " HTTP/1.1\r\nUser-Agent: libprocess/";
  appendPid(out, m.from);
  *out += "\r\nLibprocess-From: ";
  appendPid(out, m.from);
  *out += "\r\nConnection: Keep-Alive\r\nHost: ";
  *out += m.to.ip;
  *out += ':';
  appendPort(out, m.to.port);
  *out += "\r\n";
  if (m.body.empty()) {
    *out += "\r\n";
    return;
  }
  char size[32];
  auto [end, ec] = std::to_chars(size, size + sizeof size, m.body.size(), 16);
  *out += "Transfer-Encoding: chunked\r\n\r\n";
  out->append(size, end);
  *out += "\r\n";
  *out += m.body;
  *out += "\r\n0\r\n\r\n";
}

std::string encodeMessage(const Message& m) {
  std::string out;
  appendMessage(m, &out);
  return out;
}

namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// True if the request line at the start of `bytes` names a well-formed HTTP version other
// than 1.x.
bool otherHttpVersion(std::string_view bytes) {
  std::string_view line = bytes.substr(0, bytes.find("\r\n"));
  size_t at = line.rfind(" HTTP/");
  if (at == std::string_view::npos || line.size() != at + 9) {
    return false;
  }
  char major = line[at + 6];
  return std::isdigit(static_cast<unsigned char>(major)) && major != '1' && line[at + 7] == '.' &&
         std::isdigit(static_cast<unsigned char>(line[at + 8]));
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    int hi = hexDigit(text[i + 1]);
    int lo = hexDigit(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::optional<std::string> splitTarget(std::string_view target,
                                       std::map<std::string, std::string>* query) {
  size_t q = target.find('?');
  auto path = percentDecode(target.substr(0, q));
  if (!path || q == std::string_view::npos) {
    return path;
  }
  std::string_view rest = target.substr(q + 1);
  size_t hash = rest.find('#');
  rest = rest.substr(0, hash);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string pair(rest.substr(0, amp));
    for (char& c : pair) {
      if (c == '+') {
        c = ' ';
      }
    }
    size_t eq = pair.find('=');
    auto key = percentDecode(std::string_view(pair).substr(0, eq));
    auto value = eq == std::string::npos ? std::optional<std::string>("")
                                         : percentDecode(std::string_view(pair).substr(eq + 1));
    if (key && value && !key->empty()) {
      (*query)[*key] = *value;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(amp + 1);
  }
  return path;
}

bool splitMessagePath(std::string_view path, std::string* receiver, std::string* name) {
  if (path.size() < 4 || path.front() != '/') {
    return false;
  }
  path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) {
    return false;
  }
  *receiver = std::string(path.substr(0, slash));
  *name = std::string(path.substr(slash + 1));
  return name->find('/') == std::string::npos;
}

std::optional<Pid> messageSender(std::string_view libprocess_from, std::string_view user_agent,
                                 bool* is_message) {
  static constexpr std::string_view kPrefix = "libprocess/";
  *is_message = false;
  libprocess_from = trim(libprocess_from);
  if (!libprocess_from.empty()) {
    *is_message = true;
    return Pid::parse(libprocess_from);
  }
  if (user_agent.substr(0, kPrefix.size()) == kPrefix) {
    *is_message = true;
    return Pid::parse(trim(user_agent.substr(kPrefix.size())));
  }
  return std::nullopt;
}

// ---- RequestParser ----

namespace {

// What finishing a request needs, whichever reader produced it.
struct RequestHead {
  std::string_view method;
  bool post = false;
  std::string_view target;
  int version = 11;
  bool keep_alive = true;
  std::string_view libprocess_from;  // the first such header's value, if any
  std::string_view user_agent;
};

// Builds the ParsedRequest; nullopt if the target is unusable. `add_headers(&headers)`
// fills the header list (only called for requests that are not messages).
template <class AddHeaders>
std::optional<ParsedRequest> buildRequest(const RequestHead& head, std::string&& body,
                                          const AddHeaders& add_headers) {
  ParsedRequest out;
  out.version = head.version;
  out.keep_alive = head.keep_alive;
  out.http.method = std::string(head.method);
  auto path = splitTarget(head.target, &out.http.query);
  if (!path || path->empty() || path->front() != '/') {
    return std::nullopt;
  }
  out.http.path = std::move(*path);

  bool is_message = false;
  auto sender = messageSender(head.libprocess_from, head.user_agent, &is_message);
  if (head.post && is_message) {
    std::string receiver;
    std::string name;
    if (!sender) {
      out.kind = ParsedRequest::Kind::kBadMessage;
      out.error = "invalid sender pid";
    } else if (!splitMessagePath(out.http.path, &receiver, &name)) {
      out.kind = ParsedRequest::Kind::kBadMessage;
      out.error = "malformed message path '" + out.http.path + "'";
    } else {
      out.kind = ParsedRequest::Kind::kMessage;
      out.message.from = std::move(*sender);
      out.message.to.id = std::move(receiver);
      out.message.name = std::move(name);
      out.message.body = std::move(body);
      return out;
    }
  }
  add_headers(&out.http.headers);
  out.http.body = std::move(body);
  return out;
}

// ASCII case-insensitive equality; `lower` is lower case already.
bool iequals(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (c != lower[i]) {
      return false;
    }
  }
  return true;
}

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

constexpr size_t kMaxPlainHeaders = 32;

// One request read by readPlainRequest: views into the bytes it was read from.
struct PlainRequest {
  RequestHead head;
  std::array<std::pair<std::string_view, std::string_view>, kMaxPlainHeaders> headers;
  size_t header_count = 0;
  std::string body;
  size_t used = 0;  // bytes of the request, body framing included
};

// Reads one complete request at the front of `bytes` if it is plain: a request line of an
// upper-case method, a target of visible ASCII starting with '/' and HTTP/1.0 or 1.1;
// at most kMaxPlainHeaders fields named with letters, digits and '-' whose values are
// printable ASCII; Connection (if any) exactly "close" or "keep-alive"; no Expect or
// Upgrade; a body framed by one Content-Length or (HTTP/1.1) by `chunked` chunks without
// extensions or trailers; header and body well inside the limits; no repeated
// Libprocess-From, User-Agent, Connection, Content-Length or Transfer-Encoding. These are
// requests Beast reads the same way without error. Returns false for anything else,
// including a request not complete yet: Beast then reads it (and reports any error).
bool readPlainRequest(std::string_view bytes, size_t max_header, size_t max_body, PlainRequest* r) {
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos || head_end + 4 + 64 > max_header) {
    return false;
  }
  const std::string_view head = bytes.substr(0, head_end + 2);  // every line ends in CRLF
  size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > 20) {
    return false;
  }
  r->head.method = line.substr(0, sp1);
  for (char c : r->head.method) {
    if (c < 'A' || c > 'Z') {
      return false;
    }
  }
  r->head.post = r->head.method == "POST";
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return false;
  }
  r->head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (r->head.target.empty() || r->head.target.front() != '/') {
    return false;
  }
  for (char c : r->head.target) {
    if (c <= 0x20 || c >= 0x7f) {
      return false;
    }
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    r->head.version = 11;
  } else if (version == "HTTP/1.0") {
    r->head.version = 10;
  } else {
    return false;
  }

  bool has_from = false, has_agent = false, has_connection = false, has_length = false,
       chunked = false;
  size_t length = 0;
  r->head.keep_alive = r->head.version == 11;
  for (size_t pos = eol + 2; pos < head.size(); pos = eol + 2) {
    eol = head.find("\r\n", pos);
    const std::string_view field = head.substr(pos, eol - pos);
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return false;
    }
    const std::string_view name = field.substr(0, colon);
    for (char c : name) {
      if (!isNameChar(c)) {
        return false;
      }
    }
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    while (!value.empty() && value.back() == ' ') {
      value.remove_suffix(1);
    }
    for (char c : value) {
      if (c < 0x20 || c >= 0x7f) {
        return false;
      }
    }
    if (r->header_count == kMaxPlainHeaders) {
      return false;
    }
    r->headers[r->header_count++] = {name, value};
    auto once = [](bool* seen) { return !std::exchange(*seen, true); };
    if (iequals(name, "libprocess-from")) {
      if (!once(&has_from)) return false;
      r->head.libprocess_from = value;
    } else if (iequals(name, "user-agent")) {
      if (!once(&has_agent)) return false;
      r->head.user_agent = value;
    } else if (iequals(name, "connection")) {
      if (!once(&has_connection)) return false;
      if (iequals(value, "close")) {
        r->head.keep_alive = false;
      } else if (iequals(value, "keep-alive")) {
        r->head.keep_alive = true;
      } else {
        return false;
      }
    } else if (iequals(name, "content-length")) {
      if (!once(&has_length) || value.empty() || value.size() > 15) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        length = length * 10 + static_cast<size_t>(c - '0');
      }
    } else if (iequals(name, "transfer-encoding")) {
      if (!once(&chunked) || !iequals(value, "chunked")) return false;
    } else if (iequals(name, "expect") || iequals(name, "upgrade") ||
               iequals(name, "proxy-connection")) {
      return false;
    }
  }
  if ((has_length && chunked) || (chunked && r->head.version != 11)) {
    return false;
  }

  size_t pos = head_end + 4;
  if (has_length) {
    if (length >= max_body || bytes.size() - pos < length) {
      return false;
    }
    r->body.assign(bytes.substr(pos, length));
    pos += length;
  } else if (chunked) {
    for (;;) {
      eol = bytes.find("\r\n", pos);
      if (eol == std::string_view::npos || eol == pos || eol - pos > 15) {
        return false;
      }
      size_t size = 0;
      for (char c : bytes.substr(pos, eol - pos)) {
        int digit = hexDigit(c);
        if (digit < 0) return false;
        size = size * 16 + static_cast<size_t>(digit);
      }
      pos = eol + 2;
      if (size == 0) {
        if (bytes.substr(pos, 2) != "\r\n") {
          return false;  // trailers, or not all here yet
        }
        pos += 2;
        break;
      }
      if (r->body.size() + size >= max_body || bytes.size() - pos < size + 2 ||
          bytes.substr(pos + size, 2) != "\r\n") {
        return false;
      }
      r->body.append(bytes.substr(pos, size));
      pos += size + 2;
    }
  }
  r->used = pos;
  return true;
}

}  // namespace

struct RequestParser::Beast {
  std::optional<http::request_parser<http::string_body>> parser;
  bool header_checked = false;
};

RequestParser::RequestParser(std::size_t max_body_bytes, std::size_t max_header_bytes)
    : beast_(std::make_unique<Beast>()),
      max_body_bytes_(max_body_bytes),
      max_header_bytes_(max_header_bytes) {}

RequestParser::~RequestParser() = default;

void RequestParser::fail(int status, std::string reason) {
  failure_status_ = status;
  failure_reason_ = std::move(reason);
  beast_->parser.reset();
  buffer_.clear();
  consumed_ = 0;
}

bool RequestParser::takePlainRequest(std::string_view bytes, size_t* used) {
  PlainRequest plain;
  if (!plain_requests_ || !readPlainRequest(bytes, max_header_bytes_, max_body_bytes_, &plain)) {
    return false;
  }
  *used = plain.used;
  // Beast may have looked at these bytes without taking any: it starts afresh.
  beast_->parser.reset();
  auto request = buildRequest(plain.head, std::move(plain.body), [&plain](auto* headers) {
    headers->reserve(plain.header_count);
    for (size_t i = 0; i < plain.header_count; ++i) {
      headers->emplace_back(std::string(plain.headers[i].first),
                            std::string(plain.headers[i].second));
    }
  });
  if (!request) {
    fail(400, "malformed request target '" + std::string(plain.head.target) + "'");
    return true;
  }
  ready_.push_back(std::move(*request));
  return true;
}

Status RequestParser::feed(std::string_view bytes) {
  if (failed()) {
    return Status::error(failure_reason_);
  }
  buffer_.append(bytes);
  // Bytes before `pos` are taken; they leave buffer_ once, at the end.
  size_t pos = 0;
  while (pos < buffer_.size() && !failed()) {
    const std::string_view rest(buffer_.data() + pos, buffer_.size() - pos);
    size_t used = 0;
    if (consumed_ == 0 && takePlainRequest(rest, &used)) {
      pos += used;
      continue;
    }
    if (!beast_->parser) {
      auto& p = beast_->parser.emplace();
      p.body_limit(max_body_bytes_);
      p.header_limit(static_cast<std::uint32_t>(max_header_bytes_));
      p.eager(true);
      beast_->header_checked = false;
    }
    auto& p = *beast_->parser;
    boost::beast::error_code ec;
    // Beast consumes nothing until it has a whole header; it then needs the same bytes
    // again, so unconsumed bytes stay in buffer_.
    size_t n = p.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    pos += n;
    consumed_ += n;
    if (ec && ec != http::error::need_more) {
      if (ec == http::error::body_limit) {
        fail(413, "request body larger than " + std::to_string(max_body_bytes_) + " bytes");
      } else if (ec == http::error::bad_version && otherHttpVersion(rest.substr(n))) {
        // Beast refuses any version but 1.x as malformed; say what is really wrong (an
        // HTTP/2 client sends "PRI * HTTP/2.0").
        fail(505, "unsupported HTTP version");
      } else if (ec == http::error::header_limit) {
        fail(431, "request header larger than " + std::to_string(max_header_bytes_) + " bytes");
      } else {
        fail(400, "malformed HTTP request: " + ec.message());
      }
      break;
    }
    if (p.is_header_done() && !beast_->header_checked) {
      beast_->header_checked = true;
      unsigned version = p.get().version();
      if (version != 10 && version != 11) {
        fail(505, "unsupported HTTP version " + std::to_string(version / 10) + "." +
                      std::to_string(version % 10));
        break;
      }
      auto expect = p.get()[http::field::expect];
      continue_wanted_ = !p.is_done() && boost::beast::iequals(expect, "100-continue");
    }
    if (p.is_done()) {
      if (!finishRequest()) {
        break;
      }
      continue;
    }
    if (n == 0) {
      break;  // need more bytes
    }
  }
  if (failed()) {
    return Status::error(failure_reason_);
  }
  buffer_.erase(0, pos);
  return Status::ok();
}

bool RequestParser::finishRequest() {
  http::request<http::string_body> req = beast_->parser->release();
  beast_->parser.reset();
  consumed_ = 0;

  RequestHead head;
  head.method = req.method_string();
  head.post = req.method() == http::verb::post;
  head.target = req.target();
  head.version = static_cast<int>(req.version());
  head.keep_alive = req.keep_alive();
  head.libprocess_from = req[std::string_view("Libprocess-From")];
  head.user_agent = req[http::field::user_agent];
  auto request = buildRequest(head, std::move(req.body()), [&req](auto* headers) {
    for (const auto& field : req) {
      headers->emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
  });
  if (!request) {
    fail(400, "malformed request target '" + std::string(req.target()) + "'");
    return false;
  }
  ready_.push_back(std::move(*request));
  return true;
}

std::optional<ParsedRequest> RequestParser::next() {
  if (ready_.empty()) {
    return std::nullopt;
  }
  ParsedRequest out = std::move(ready_.front());
  ready_.pop_front();
  return out;
}

bool RequestParser::takeContinue() {
  bool wanted = continue_wanted_ && !failed();
  continue_wanted_ = false;
  return wanted;
}

bool RequestParser::midRequest() const { return consumed_ > 0 || !buffer_.empty(); }

bool RequestParser::inHeader() const {
  return midRequest() && !(beast_->parser && beast_->parser->is_header_done());
}

std::string_view reasonPhrase(int status) {
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  if (reason.empty() || reason.front() == '<') {
    return "Unknown";
  }
  return reason;
}

void appendResponseHead(const HttpResponse& response, bool keep_alive, std::string* out) {
  char digits[24];
  *out += "HTTP/1.1 ";
  auto [status_end, ec1] = std::to_chars(digits, digits + sizeof digits, response.status);
  out->append(digits, status_end);
  *out += ' ';
  *out += reasonPhrase(response.status);
  *out += "\r\n";
  if (!response.body.empty() && !response.content_type.empty()) {
    *out += "Content-Type: ";
    *out += response.content_type;
    *out += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    *out += name;
    *out += ": ";
    *out += value;
    *out += "\r\n";
  }
  *out += "Content-Length: ";
  auto [length_end, ec2] = std::to_chars(digits, digits + sizeof digits, response.body.size());
  out->append(digits, length_end);
  *out += "\r\n";
  if (!keep_alive) {
    *out += "Connection: close\r\n";
  }
  *out += "\r\n";
}

void appendResponse(const HttpResponse& response, bool keep_alive, std::string* out) {
  appendResponseHead(response, keep_alive, out);
  *out += response.body;
}

std::string encodeResponse(const HttpResponse& response, bool keep_alive) {
  std::string out;
  appendResponse(response, keep_alive, &out);
  return out;
}

}  // namespace keel::wire
