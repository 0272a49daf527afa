#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace keel {

// The outcome of an operation that can fail: ok, or an error message meant for a
// human (a log line, an HTTP body, a FrameworkErrorMessage). Errors are values;
// exceptions never cross a module boundary.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool isOk() const { return !message_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// A value or an error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}  // must be an error status

  static Result error(std::string message) { return Result(Status::error(std::move(message))); }

  bool isOk() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return isOk(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const std::string& message() const { return std::get<Status>(v_).message(); }
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace keel

#define KEEL_CONCAT_INNER(a, b) a##b
#define KEEL_CONCAT(a, b) KEEL_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if it is an error.
#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::keel::Status _keel_status = (expr);     \
    if (!_keel_status.isOk()) {               \
      return _keel_status;                    \
    }                                         \
  } while (0)

// Declares `lhs` from a Result, or returns its error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr)                                  \
  auto KEEL_CONCAT(_keel_result_, __LINE__) = (expr);                \
  if (!KEEL_CONCAT(_keel_result_, __LINE__).isOk()) {                \
    return KEEL_CONCAT(_keel_result_, __LINE__).status();            \
  }                                                                  \
  lhs = std::move(KEEL_CONCAT(_keel_result_, __LINE__)).value()
