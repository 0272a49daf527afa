#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.hpp"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

// JSON the way Mesos writes it: compact (no spaces), objects and arrays in the order written,
// strings escaped as stout does (", \, \b \f \n \r \t, other control characters and DEL as
// \u00XX; '/' and non-ASCII bytes are written as they are), doubles always with a fraction or
// exponent ("4.0", "0.01", "1795639073.848546", shortest text that reads back to the same
// double), integers without one. See docs/ for the endpoint formats built on top of it.
namespace keel {

// Mesos's text for a JSON double: the shortest decimal that parses back to `value`, with
// ".0" appended when it would otherwise look like an integer. NaN and infinities, which JSON
// cannot represent, are written as `null`.
std::string formatJsonDouble(double value);

// `text` as a quoted, escaped JSON string.
std::string quoteJson(std::string_view text);

// Appending forms of the two above, for writers that build one large string.
void appendJsonDouble(std::string& out, double value);
void appendJsonString(std::string& out, std::string_view text);

// Streams JSON into a string. Usage:
//   JsonWriter w;
//   w.beginObject();
//   w.field("id", id);            // key + value
//   w.key("resources"); w.beginArray(); ... w.endArray();
//   w.endObject();
//   std::string body = w.take();
// Misuse (a value where a key is expected, unbalanced end*) is a programming error and is
// caught by debug-build checks; release builds write whatever was asked. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter() = default;

  void beginObject();
  void endObject();
  void beginArray();
  void endArray();

  // The next member's name; must be followed by exactly one value (or begin*).
  void key(std::string_view name);

  void value(std::string_view text);
  void value(const std::string& text) { value(std::string_view(text)); }
  void value(const char* text) { value(std::string_view(text)); }
  void value(bool b);
  void value(int v) { value(static_cast<long long>(v)); }
  void value(long v) { value(static_cast<long long>(v)); }
  void value(long long v);
  void value(unsigned v) { value(static_cast<unsigned long long>(v)); }
  void value(unsigned long v) { value(static_cast<unsigned long long>(v)); }
  void value(unsigned long long v);
  void value(float v) { value(static_cast<double>(v)); }
  void value(double v);
  void nullValue();

  // Inserts already-rendered JSON (e.g. a cached protobuf rendering) as one value.
  void raw(std::string_view json);

  template <class T>
  void field(std::string_view name, const T& v) {
    key(name);
    value(v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }
  // Empties the writer for a new document, keeping the buffer's capacity.
  void reset() {
    out_.clear();
    stack_.clear();
    after_key_ = false;
  }

 private:
  struct Level {
    bool object;
    int count;
  };
  void beforeValue();

  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

// Writes `message` as one JSON object, the way Mesos's JSON::Protobuf does: fields in .proto
// declaration order under their .proto names; a singular field when it is set, or when it is
// unset but declares an explicit default and is not deprecated (the default is written);
// a repeated field when it has elements, as an array; enums by value name; bytes as base64;
// nested messages as objects; 64-bit integers as JSON numbers. Unknown fields and extensions
// are not written.
void writeProtobuf(JsonWriter& writer, const google::protobuf::Message& message);

// writeProtobuf() into a fresh string.
std::string protobufToJson(const google::protobuf::Message& message);

// A parsed JSON document. Objects keep their members in document order (duplicates kept;
// find() returns the last, as most parsers do).
struct JsonValue;
using JsonArray = std::vector<JsonValue>;
using JsonObject = std::vector<std::pair<std::string, JsonValue>>;

struct JsonNumber {
  double value = 0;
  std::string text;  // as written in the document, for exact 64-bit integers
};

struct JsonValue {
  std::variant<std::nullptr_t, bool, JsonNumber, std::string, JsonArray, JsonObject> data;

  bool isNull() const { return std::holds_alternative<std::nullptr_t>(data); }
  bool isBool() const { return std::holds_alternative<bool>(data); }
  bool isNumber() const { return std::holds_alternative<JsonNumber>(data); }
  bool isString() const { return std::holds_alternative<std::string>(data); }
  bool isArray() const { return std::holds_alternative<JsonArray>(data); }
  bool isObject() const { return std::holds_alternative<JsonObject>(data); }

  // Accessors for a value known to be of that type (std::bad_variant_access otherwise).
  bool asBool() const { return std::get<bool>(data); }
  double asDouble() const { return std::get<JsonNumber>(data).value; }
  const std::string& asString() const { return std::get<std::string>(data); }
  const JsonArray& asArray() const { return std::get<JsonArray>(data); }
  const JsonObject& asObject() const { return std::get<JsonObject>(data); }

  // The number as an exact integer, when it is a number written without fraction/exponent
  // that fits the type; nullopt otherwise.
  std::optional<int64_t> asInt64() const;
  std::optional<uint64_t> asUint64() const;

  // The member named `name` of an object (the last one if repeated); nullptr when this is not
  // an object or has no such member.
  const JsonValue* find(std::string_view name) const;
};

// Parses one JSON document (RFC 8259; surrounding whitespace allowed, nesting depth at most
// 256). Errors name the byte offset of the problem.
Result<JsonValue> parseJson(std::string_view text);

// Renders a parsed value back to compact JSON (numbers as they were written).
std::string toJson(const JsonValue& value);

// Fills `message` from a JSON object the way Mesos's protobuf::parse does: members matched to
// fields by .proto name (unknown members ignored); strings for string, bytes (base64) and enum
// (by value name; an unknown name is dropped unless the field is required) fields; numbers for
// numeric fields; arrays for repeated fields; null members ignored. Errors on a type mismatch,
// a bad base64 string, or required fields still missing afterwards.
Status jsonToProtobuf(const JsonValue& json, google::protobuf::Message* message);

}  // namespace keel
