#include "common/json.hpp"

#include <glog/logging.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/message.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "common/strings.hpp"

namespace keel {

namespace pb = google::protobuf;

void appendJsonDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
  // Mesos's writer always marks doubles as such ("4.0"), and readers such as the web UI
  // rely on nothing else; keep the fraction for integral values.
  for (const char* p = buffer; p != end; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') {
      return;
    }
  }
  out += ".0";
}

std::string formatJsonDouble(double value) {
  std::string text;
  appendJsonDouble(text, value);
  return text;
}

namespace {

// The two-character escape of `c` ('"' -> 'x' in "\\x"), or 0 when it has none.
char shortEscape(char c) {
  switch (c) {
    case '"':
      return '"';
    case '\\':
      return '\\';
    case '\b':
      return 'b';
    case '\f':
      return 'f';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    default:
      return 0;
  }
}

// Whether `c` must be escaped inside a JSON string (stout's rules).
inline bool needsEscape(char c) {
  uint8_t u = static_cast<uint8_t>(c);
  return u < 0x20 || u == 0x7f || c == '"' || c == '\\';
}

void appendEscaped(std::string& out, std::string_view text) {
  out.push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!needsEscape(c)) {
      continue;
    }
    out.append(text.data() + start, i - start);
    start = i + 1;
    uint8_t u = static_cast<uint8_t>(c);
    if (char e = shortEscape(c); e != 0) {
      out.push_back('\\');
      out.push_back(e);
    } else {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", u);
      out += buffer;
    }
  }
  out.append(text.data() + start, text.size() - start);
  out.push_back('"');
}

}  // namespace

std::string quoteJson(std::string_view text) {
  std::string out;
  appendEscaped(out, text);
  return out;
}

void appendJsonString(std::string& out, std::string_view text) { appendEscaped(out, text); }

// ---------------------------------------------------------------------------------------------
// JsonWriter

void JsonWriter::beforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!stack_.empty()) {
    DCHECK(!stack_.back().object) << "JSON value written where an object key was expected";
    if (stack_.back().count++ > 0) {
      out_.push_back(',');
    }
  }
}

void JsonWriter::beginObject() {
  beforeValue();
  out_.push_back('{');
  stack_.push_back(Level{true, 0});
}

void JsonWriter::endObject() {
  DCHECK(!stack_.empty() && stack_.back().object && !after_key_);
  if (!stack_.empty()) {
    stack_.pop_back();
  }
  out_.push_back('}');
}

void JsonWriter::beginArray() {
  beforeValue();
  out_.push_back('[');
  stack_.push_back(Level{false, 0});
}

void JsonWriter::endArray() {
  DCHECK(!stack_.empty() && !stack_.back().object);
  if (!stack_.empty()) {
    stack_.pop_back();
  }
  out_.push_back(']');
}

void JsonWriter::key(std::string_view name) {
  DCHECK(!stack_.empty() && stack_.back().object && !after_key_);
  if (!stack_.empty() && stack_.back().count++ > 0) {
    out_.push_back(',');
  }
  appendEscaped(out_, name);
  out_.push_back(':');
  after_key_ = true;
}

void JsonWriter::value(std::string_view text) {
  beforeValue();
  appendEscaped(out_, text);
}

void JsonWriter::value(bool b) {
  beforeValue();
  out_ += b ? "true" : "false";
}

void JsonWriter::value(long long v) {
  beforeValue();
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, end);
}

void JsonWriter::value(unsigned long long v) {
  beforeValue();
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
  out_.append(buffer, end);
}

void JsonWriter::value(double v) {
  beforeValue();
  appendJsonDouble(out_, v);
}

void JsonWriter::nullValue() {
  beforeValue();
  out_ += "null";
}

void JsonWriter::raw(std::string_view json) {
  beforeValue();
  out_.append(json);
}

// ---------------------------------------------------------------------------------------------
// Protobuf -> JSON

namespace {

// Writes field `f` of `m`: element `i` of a repeated field, or the singular value when i < 0.
void writeFieldValue(JsonWriter& w, const pb::Message& m, const pb::Reflection* r,
                     const pb::FieldDescriptor* f, int i) {
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      w.value(rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_INT32:
      w.value(static_cast<long long>(rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f)));
      break;
    case pb::FieldDescriptor::CPPTYPE_INT64:
      w.value(static_cast<long long>(rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f)));
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      w.value(static_cast<unsigned long long>(rep ? r->GetRepeatedUInt32(m, f, i)
                                                  : r->GetUInt32(m, f)));
      break;
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      w.value(static_cast<unsigned long long>(rep ? r->GetRepeatedUInt64(m, f, i)
                                                  : r->GetUInt64(m, f)));
      break;
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      // Mesos widens floats to double before printing, so 0.1f shows all its digits.
      w.value(static_cast<double>(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f)));
      break;
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      w.value(rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f));
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      w.value((rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f))->name());
      break;
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, i, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
        w.value(strings::base64Encode(s));
      } else {
        w.value(s);
      }
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      writeProtobuf(w, rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f));
      break;
  }
}

}  // namespace

void writeProtobuf(JsonWriter& w, const pb::Message& message) {
  const pb::Descriptor* descriptor = message.GetDescriptor();
  const pb::Reflection* reflection = message.GetReflection();
  w.beginObject();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (field->is_repeated()) {
      int size = reflection->FieldSize(message, field);
      if (size == 0) {
        continue;
      }
      w.key(field->name());
      w.beginArray();
      for (int j = 0; j < size; ++j) {
        writeFieldValue(w, message, reflection, field, j);
      }
      w.endArray();
      continue;
    }
    // Mesos writes an unset field when its .proto names a default, so readers see e.g.
    // Resource.role "*" even when the sender left it out.
    bool wanted = reflection->HasField(message, field) ||
                  (field->has_default_value() && !field->options().deprecated());
    if (!wanted) {
      continue;
    }
    w.key(field->name());
    writeFieldValue(w, message, reflection, field, -1);
  }
  w.endObject();
}

std::string protobufToJson(const pb::Message& message) {
  JsonWriter w;
  writeProtobuf(w, message);
  return w.take();
}

}  // namespace keel

// ---------------------------------------------------------------------------------------------
// Parser

namespace keel {

namespace {

constexpr int kMaxDepth = 256;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<JsonValue> parseDocument() {
    skipSpace();
    JsonValue value;
    RETURN_IF_ERROR(parseValue(&value, 0));
    skipSpace();
    if (pos_ != text_.size()) {
      return fail("unexpected trailing characters");
    }
    return value;
  }

 private:
  Status fail(const std::string& what) const {
    return Status::error("JSON parse error at offset " + std::to_string(pos_) + ": " + what);
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  Status parseValue(JsonValue* out, int depth) {
    if (depth > kMaxDepth) {
      return fail("nesting too deep");
    }
    if (pos_ >= text_.size()) {
      return fail("unexpected end of input");
    }
    char c = text_[pos_];
    if (c == '{') {
      return parseObject(out, depth);
    }
    if (c == '[') {
      return parseArray(out, depth);
    }
    if (c == '"') {
      std::string s;
      RETURN_IF_ERROR(parseString(&s));
      out->data = std::move(s);
      return Status::ok();
    }
    if (consume("true")) {
      out->data = true;
      return Status::ok();
    }
    if (consume("false")) {
      out->data = false;
      return Status::ok();
    }
    if (consume("null")) {
      out->data = nullptr;
      return Status::ok();
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return parseNumber(out);
    }
    return fail(std::string("unexpected character '") + c + "'");
  }

  Status parseObject(JsonValue* out, int depth) {
    ++pos_;  // '{'
    JsonObject object;
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out->data = std::move(object);
      return Status::ok();
    }
    while (true) {
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        return fail("expected a member name");
      }
      std::string name;
      RETURN_IF_ERROR(parseString(&name));
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        return fail("expected ':'");
      }
      ++pos_;
      skipSpace();
      JsonValue member;
      RETURN_IF_ERROR(parseValue(&member, depth + 1));
      object.emplace_back(std::move(name), std::move(member));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        out->data = std::move(object);
        return Status::ok();
      }
      return fail("expected ',' or '}'");
    }
  }

  Status parseArray(JsonValue* out, int depth) {
    ++pos_;  // '['
    JsonArray array;
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out->data = std::move(array);
      return Status::ok();
    }
    while (true) {
      skipSpace();
      JsonValue element;
      RETURN_IF_ERROR(parseValue(&element, depth + 1));
      array.push_back(std::move(element));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        out->data = std::move(array);
        return Status::ok();
      }
      return fail("expected ',' or ']'");
    }
  }

  Status parseHex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) {
      return fail("truncated \\u escape");
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail("bad hex digit in \\u escape");
      }
    }
    *out = v;
    return Status::ok();
  }

  static void appendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  Status parseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) {
        return fail("unterminated string");
      }
      char c = text_[pos_++];
      if (c == '"') {
        return Status::ok();
      }
      if (static_cast<uint8_t>(c) < 0x20) {
        return fail("control character in string");
      }
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) {
        return fail("unterminated escape");
      }
      char e = text_[pos_++];
      // Simple escapes map back through the table: b -> \b, n -> \n, ...
      const std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
      if (size_t k = kFrom.find(e); k != std::string_view::npos) {
        out->push_back(kTo[k]);
        continue;
      }
      if (e != 'u') {
        return fail(std::string("invalid escape '\\") + e + "'");
      }
      uint32_t cp = 0;
      RETURN_IF_ERROR(parseHex4(&cp));
      if (cp >= 0xd800 && cp < 0xdc00 && consume("\\u")) {
        uint32_t low = 0;
        RETURN_IF_ERROR(parseHex4(&low));
        if (low < 0xdc00 || low >= 0xe000) {
          return fail("invalid surrogate pair");
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      }
      appendUtf8(out, cp);
    }
  }

  Status parseNumber(JsonValue* out) {
    size_t start = pos_;
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        ++pos_;
      }
      return pos_ - from;
    };
    if (text_[pos_] == '-') {
      ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return fail("invalid number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) {
        return fail("invalid number");
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (digits() == 0) {
        return fail("invalid number");
      }
    }
    JsonNumber number;
    number.text = std::string(text_.substr(start, pos_ - start));
    number.value = std::strtod(number.text.c_str(), nullptr);
    out->data = std::move(number);
    return Status::ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

bool isPlainInteger(const std::string& text) {
  return !text.empty() && text.find_first_of(".eE") == std::string::npos;
}

void render(std::string& out, const JsonValue& value) {
  if (value.isNull()) {
    out += "null";
  } else if (value.isBool()) {
    out += value.asBool() ? "true" : "false";
  } else if (value.isNumber()) {
    const JsonNumber& n = std::get<JsonNumber>(value.data);
    out += n.text.empty() ? formatJsonDouble(n.value) : n.text;
  } else if (value.isString()) {
    appendEscaped(out, value.asString());
  } else if (value.isArray()) {
    out.push_back('[');
    bool first = true;
    for (const JsonValue& element : value.asArray()) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      render(out, element);
    }
    out.push_back(']');
  } else {
    out.push_back('{');
    bool first = true;
    for (const auto& [name, member] : value.asObject()) {
      if (!first) {
        out.push_back(',');
      }
      first = false;
      appendEscaped(out, name);
      out.push_back(':');
      render(out, member);
    }
    out.push_back('}');
  }
}

}  // namespace

std::optional<int64_t> JsonValue::asInt64() const {
  const JsonNumber* n = std::get_if<JsonNumber>(&data);
  if (n == nullptr || !isPlainInteger(n->text)) {
    return std::nullopt;
  }
  return strings::parseInt64(n->text);
}

std::optional<uint64_t> JsonValue::asUint64() const {
  const JsonNumber* n = std::get_if<JsonNumber>(&data);
  if (n == nullptr || !isPlainInteger(n->text)) {
    return std::nullopt;
  }
  return strings::parseUint64(n->text);
}

const JsonValue* JsonValue::find(std::string_view name) const {
  const JsonObject* object = std::get_if<JsonObject>(&data);
  if (object == nullptr) {
    return nullptr;
  }
  for (auto it = object->rbegin(); it != object->rend(); ++it) {
    if (it->first == name) {
      return &it->second;
    }
  }
  return nullptr;
}

Result<JsonValue> parseJson(std::string_view text) { return Parser(text).parseDocument(); }

std::string toJson(const JsonValue& value) {
  std::string out;
  render(out, value);
  return out;
}

}  // namespace keel
