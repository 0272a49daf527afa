// JSON -> protobuf (jsonToProtobuf in common/json.hpp), apart from the writer and parser in
// json.cpp.

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

namespace pb = google::protobuf;

namespace keel {

namespace {

Status fillMessage(const JsonValue& json, pb::Message* message);

// Whether a JSON number's text has no fraction or exponent.
bool isPlainInteger(const std::string& text) {
  return !text.empty() && text.find_first_of(".eE") == std::string::npos;
}

// A JSON number (or a string holding one, as proto3 JSON writes 64-bit values) as an exact
// integer of the field's width.
template <class T>
std::optional<T> integerOf(const JsonValue& v) {
  std::string text;
  if (v.isNumber()) {
    text = std::get<JsonNumber>(v.data).text;
    if (!isPlainInteger(text)) {
      double d = v.asDouble();
      if (std::floor(d) != d || std::fabs(d) > 9007199254740992.0) {
        return std::nullopt;
      }
      text = std::to_string(static_cast<long long>(d));
    }
  } else if (v.isString()) {
    text = v.asString();
  } else {
    return std::nullopt;
  }
  if constexpr (std::is_signed_v<T>) {
    std::optional<int64_t> n = strings::parseInt64(text);
    if (!n || *n < std::numeric_limits<T>::min() || *n > std::numeric_limits<T>::max()) {
      return std::nullopt;
    }
    return static_cast<T>(*n);
  } else {
    std::optional<uint64_t> n = strings::parseUint64(text);
    if (!n || *n > std::numeric_limits<T>::max()) {
      return std::nullopt;
    }
    return static_cast<T>(*n);
  }
}

std::optional<double> doubleOf(const JsonValue& v) {
  if (v.isNumber()) {
    return v.asDouble();
  }
  if (v.isString()) {
    return strings::parseDouble(v.asString());
  }
  return std::nullopt;
}

// Sets (or, for repeated fields, adds) one scalar or message element.
Status setOne(const JsonValue& v, pb::Message* m, const pb::FieldDescriptor* f) {
  const pb::Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  auto mismatch = [&](const char* expected) {
    return Status::error("Failed to parse field '" + f->name() + "': expected " + expected);
  };
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!v.isObject()) {
        return mismatch("a JSON object");
      }
      pb::Message* child = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      return fillMessage(v, child);
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      if (!v.isString()) {
        return mismatch("a JSON string");
      }
      std::string s = v.asString();
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
        Result<std::string> decoded = strings::base64Decode(s);
        if (!decoded) {
          return Status::error("Failed to base64 decode bytes field '" + f->name() +
                               "': " + decoded.message());
        }
        s = std::move(decoded).value();
      }
      rep ? r->AddString(m, f, std::move(s)) : r->SetString(m, f, std::move(s));
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      if (!v.isString()) {
        return mismatch("a JSON string naming an enum value");
      }
      const pb::EnumValueDescriptor* e = f->enum_type()->FindValueByName(v.asString());
      if (e == nullptr) {
        // proto2 drops unknown enum values of optional fields; only a required one fails.
        if (f->is_required()) {
          return Status::error("Failed to find enum for '" + v.asString() + "'");
        }
        return Status::ok();
      }
      rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      if (!v.isBool()) {
        return mismatch("a JSON boolean");
      }
      rep ? r->AddBool(m, f, v.asBool()) : r->SetBool(m, f, v.asBool());
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      std::optional<double> d = doubleOf(v);
      if (!d) {
        return mismatch("a JSON number");
      }
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(m, f, *d) : r->SetDouble(m, f, *d);
      } else {
        float x = static_cast<float>(*d);
        rep ? r->AddFloat(m, f, x) : r->SetFloat(m, f, x);
      }
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      auto n = integerOf<int32_t>(v);
      if (!n) {
        return mismatch("a 32-bit integer");
      }
      rep ? r->AddInt32(m, f, *n) : r->SetInt32(m, f, *n);
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      auto n = integerOf<int64_t>(v);
      if (!n) {
        return mismatch("a 64-bit integer");
      }
      rep ? r->AddInt64(m, f, *n) : r->SetInt64(m, f, *n);
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      auto n = integerOf<uint32_t>(v);
      if (!n) {
        return mismatch("an unsigned 32-bit integer");
      }
      rep ? r->AddUInt32(m, f, *n) : r->SetUInt32(m, f, *n);
      return Status::ok();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      auto n = integerOf<uint64_t>(v);
      if (!n) {
        return mismatch("an unsigned 64-bit integer");
      }
      rep ? r->AddUInt64(m, f, *n) : r->SetUInt64(m, f, *n);
      return Status::ok();
    }
  }
  return Status::ok();
}

Status fillMessage(const JsonValue& json, pb::Message* message) {
  if (!json.isObject()) {
    return Status::error("Expecting a JSON object for message '" +
                         message->GetDescriptor()->full_name() + "'");
  }
  const pb::Descriptor* descriptor = message->GetDescriptor();
  for (const auto& [name, value] : json.asObject()) {
    const pb::FieldDescriptor* field = descriptor->FindFieldByName(name);
    if (field == nullptr || value.isNull()) {
      continue;
    }
    if (field->is_repeated()) {
      if (!value.isArray()) {
        return Status::error("Failed to parse field '" + name + "': expected a JSON array");
      }
      message->GetReflection()->ClearField(message, field);
      for (const JsonValue& element : value.asArray()) {
        RETURN_IF_ERROR(setOne(element, message, field));
      }
    } else {
      RETURN_IF_ERROR(setOne(value, message, field));
    }
  }
  return Status::ok();
}

}  // namespace

Status jsonToProtobuf(const JsonValue& json, pb::Message* message) {
  RETURN_IF_ERROR(fillMessage(json, message));
  if (!message->IsInitialized()) {
    return Status::error("Missing required fields: " + message->InitializationErrorString());
  }
  return Status::ok();
}

}  // namespace keel
