#pragma once

// The libprocess message framing (docs/wire-format.md, spec §6.1): the exact bytes libprocess
// writes for a message, and an incremental parser for requests arriving on a server
// connection, which tells libprocess messages from ordinary HTTP requests. Beast stays in the
// .cpp.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "wire/transport.hpp"

namespace keel::wire {

// The exact bytes libprocess writes for `m`: `POST /<to.id>/<name> HTTP/1.1`, then
// User-Agent, Libprocess-From, Connection: Keep-Alive, Host: <to ip:port>; a non-empty body
// goes as `Transfer-Encoding: chunked` with one chunk (lowercase hex size) and the terminating
// `0\r\n\r\n`; an empty body has neither.
std::string encodeMessage(const Message& m);
// The same bytes, appended to *out.
void appendMessage(const Message& m, std::string* out);

// Decodes "%XX" escapes ('+' is left alone); nullopt for a malformed escape.
std::optional<std::string> percentDecode(std::string_view text);

// Splits a request target into its percent-decoded path and its decoded query parameters
// ("a=1&b" gives {a:"1", b:""}; '+' in the query means a space). nullopt if the path has a
// malformed escape; malformed query pairs are skipped.
std::optional<std::string> splitTarget(std::string_view target,
                                       std::map<std::string, std::string>* query);

// Splits a message request's path "/<receiver>/<name>" (already percent-decoded).
// Returns false if either part is empty or the name contains a '/'.
bool splitMessagePath(std::string_view path, std::string* receiver, std::string* name);

// The sender of a request, if the request is a libprocess message: from Libprocess-From
// (trimmed), else from a "libprocess/<pid>" User-Agent. `is_message` tells whether either
// header was there at all (a message with an unparsable sender is still a message, and
// malformed).
std::optional<Pid> messageSender(std::string_view libprocess_from, std::string_view user_agent,
                                 bool* is_message);

// One complete request taken off a connection.
struct ParsedRequest {
  enum class Kind {
    kHttp,        // an ordinary HTTP request: see `http`
    kMessage,     // a libprocess message: see `message`
    kBadMessage,  // looked like a message (POST + libprocess headers) but the sender pid or
                  // the path is unusable: see `error`; answer 400
  };
  Kind kind = Kind::kHttp;
  // Always filled: method, percent-decoded path, query. The headers as received, except
  // for kMessage (a message needs none of them: they are left empty). For kMessage the body
  // is moved into `message.body` and http.body is empty. `peer` is left empty.
  HttpRequest http;
  // kMessage: `from` (the sender), `to.id` (the receiver id; to.ip/port are not known to the
  // parser and stay default), `name`, `body`.
  Message message;
  std::string error;       // kBadMessage: why
  int version = 11;        // 10 or 11
  bool keep_alive = true;  // the client wants the connection kept open
};

// Incremental HTTP/1.x request parser for one server connection, on Beast's request_parser.
// Feed bytes as they arrive, split anywhere; complete requests (several, if pipelined) queue
// up for next(). A request that is already complete when its first byte is read, and plain
// (the usual libprocess message: simple fields, a Content-Length or chunked body), is read
// by a faster reader of that subset of HTTP, with the same result; everything else goes
// through Beast. After an error the parser stays failed: the connection should be answered
// with failureStatus() and closed. Not thread-safe (one connection, one thread).
class RequestParser {
 public:
  explicit RequestParser(std::size_t max_body_bytes = 64u << 20,
                         std::size_t max_header_bytes = 64u << 10);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Consumes `bytes`. Returns an error (and fails the parser) for a bad request line, a bad
  // header, bad body framing (chunk syntax, Content-Length), a target that is not an
  // absolute path or has a malformed escape, an HTTP version other than 1.0/1.1, an
  // oversized header or body. Feeding a failed parser returns the same error.
  Status feed(std::string_view bytes);

  // The next complete request, in arrival order; nullopt if none is complete yet.
  std::optional<ParsedRequest> next();

  bool failed() const { return failure_status_ != 0; }
  // The HTTP status that answers the failure: 400 (malformed), 413 (body over the limit),
  // 431 (header over the limit), 505 (HTTP version). 0 while not failed.
  int failureStatus() const { return failure_status_; }
  const std::string& failureReason() const { return failure_reason_; }

  // True while part of a request has arrived and its header is not complete yet (what a
  // header timeout measures). False between requests and while a body is arriving.
  bool inHeader() const;
  // True while any part of an unfinished request has arrived.
  bool midRequest() const;

  // True once per request whose header carried `Expect: 100-continue` and whose body has
  // not fully arrived yet: the server may now send `100 Continue` (curl waits for it).
  bool takeContinue();

  // Tests: every request goes through Beast (to compare with the plain reader).
  void disablePlainReader() { plain_requests_ = false; }

 private:
  struct Beast;
  void fail(int status, std::string reason);
  bool finishRequest();  // false if the completed request was unusable (parser failed)
  // Reads a whole plain request at the front of `bytes` into ready_ (or fails the parser
  // on its target): true and the bytes it took, or false if Beast must read it.
  bool takePlainRequest(std::string_view bytes, std::size_t* used);

  std::unique_ptr<Beast> beast_;
  std::string buffer_;        // bytes received but not yet consumed by Beast
  std::size_t consumed_ = 0;  // bytes of the current request Beast has consumed
  std::size_t max_body_bytes_;
  std::size_t max_header_bytes_;
  std::deque<ParsedRequest> ready_;
  int failure_status_ = 0;
  std::string failure_reason_;
  bool continue_wanted_ = false;
  bool plain_requests_ = true;
};

// The reason phrase of an HTTP status ("Accepted" for 202); "Unknown" if there is none.
std::string_view reasonPhrase(int status);

// A complete HTTP/1.1 response: status line, Content-Type (if body is non-empty), extra
// headers, Content-Length, `Connection: close` if !keep_alive, then the body.
std::string encodeResponse(const HttpResponse& response, bool keep_alive);
// The same bytes, appended to *out.
// The status line and headers only (the body is to follow them as it is).
void appendResponseHead(const HttpResponse& response, bool keep_alive, std::string* out);
void appendResponse(const HttpResponse& response, bool keep_alive, std::string* out);

}  // namespace keel::wire
