#include "wire/message_codec.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cstdio>

namespace keel::wire {

namespace http = boost::beast::http;

std::string encodeMessage(const Message& m) {
  const std::string from = m.from.str();
  std::string out;
  out.reserve(m.body.size() + 2 * from.size() + m.name.size() + m.to.id.size() + 160);
  out += "POST /";
  out += m.to.id;
  out += '/';
  out += m.name;
  out += " HTTP/1.1\r\nUser-Agent: libprocess/";
  out += from;
  out += "\r\nLibprocess-From: ";
  out += from;
  out += "\r\nConnection: Keep-Alive\r\nHost: ";
  out += m.to.address();
  out += "\r\n";
  if (m.body.empty()) {
    out += "\r\n";
    return out;
  }
  char size[32];
  std::snprintf(size, sizeof size, "%zx", m.body.size());
  out += "Transfer-Encoding: chunked\r\n\r\n";
  out += size;
  out += "\r\n";
  out += m.body;
  out += "\r\n0\r\n\r\n";
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

Status RequestParser::feed(std::string_view bytes) {
  if (failed()) {
    return Status::error(failure_reason_);
  }
  buffer_.append(bytes);
  while (!buffer_.empty() && !failed()) {
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
    // again, so unconsumed bytes stay at the front of buffer_.
    size_t n = p.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
    buffer_.erase(0, n);
    consumed_ += n;
    if (ec && ec != http::error::need_more) {
      if (ec == http::error::body_limit) {
        fail(413, "request body larger than " + std::to_string(max_body_bytes_) + " bytes");
      } else if (ec == http::error::bad_version && otherHttpVersion(buffer_)) {
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
  return failed() ? Status::error(failure_reason_) : Status::ok();
}

bool RequestParser::finishRequest() {
  http::request<http::string_body> req = beast_->parser->release();
  beast_->parser.reset();
  consumed_ = 0;

  ParsedRequest out;
  out.version = static_cast<int>(req.version());
  out.keep_alive = req.keep_alive();
  out.http.method = std::string(req.method_string());
  auto path = splitTarget(req.target(), &out.http.query);
  if (!path || path->empty() || path->front() != '/') {
    fail(400, "malformed request target '" + std::string(req.target()) + "'");
    return false;
  }
  out.http.path = std::move(*path);
  for (const auto& field : req) {
    out.http.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }

  bool is_message = false;
  auto sender = messageSender(req[std::string_view("Libprocess-From")],
                              req[http::field::user_agent], &is_message);
  if (req.method() == http::verb::post && is_message) {
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
      out.message.body = std::move(req.body());
    }
  }
  if (out.kind != ParsedRequest::Kind::kMessage) {
    out.http.body = std::move(req.body());
  }
  ready_.push_back(std::move(out));
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

std::string encodeResponse(const HttpResponse& response, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += reasonPhrase(response.status);
  out += "\r\n";
  if (!response.body.empty() && !response.content_type.empty()) {
    out += "Content-Type: " + response.content_type + "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name + ": " + value + "\r\n";
  }
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (!keep_alive) {
    out += "Connection: close\r\n";
  }
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace keel::wire
