#include "common/json.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#if __has_include(<mesos/mesos.pb.h>)
#include <mesos/mesos.pb.h>
#define KEEL_HAVE_MESOS_PROTO 1
#endif

namespace keel {
namespace {

namespace pb = google::protobuf;

std::string captureDir() { return std::string(KEEL_SHARED_DIR) + "/reference/wire-captures/json"; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Ensures doubles print as Mesos shows them in the captures, integers without a fraction.
TEST(JsonWriterTest, NumberFormats) {
  EXPECT_EQ(formatJsonDouble(4.0), "4.0");
  EXPECT_EQ(formatJsonDouble(0.0), "0.0");
  EXPECT_EQ(formatJsonDouble(10240.0), "10240.0");
  EXPECT_EQ(formatJsonDouble(0.01), "0.01");
  EXPECT_EQ(formatJsonDouble(0.1), "0.1");
  EXPECT_EQ(formatJsonDouble(-2.5), "-2.5");
  EXPECT_EQ(formatJsonDouble(1795635309.0), "1795635309.0");
  EXPECT_EQ(formatJsonDouble(1795639073.848546), "1795639073.848546");
  EXPECT_EQ(formatJsonDouble(0.013056), "0.013056");
  EXPECT_EQ(formatJsonDouble(std::nan("")), "null");
  EXPECT_EQ(formatJsonDouble(std::numeric_limits<double>::infinity()), "null");
  // Whatever is printed must read back to the same double.
  for (double d : {1e-7, 1e21, 123456789.123, 0.30000000000000004}) {
    EXPECT_EQ(std::strtod(formatJsonDouble(d).c_str(), nullptr), d);
  }
  JsonWriter w;
  w.beginArray();
  w.value(1);
  w.value(-1L);
  w.value(uint64_t{18446744073709551615ull});
  w.value(int64_t{-9223372036854775807LL - 1});
  w.value(1.0);
  w.value(0.5f);
  w.endArray();
  EXPECT_EQ(w.str(), "[1,-1,18446744073709551615,-9223372036854775808,1.0,0.5]");
}

// Ensures strings are escaped the way Mesos escapes them.
TEST(JsonWriterTest, StringEscaping) {
  EXPECT_EQ(quoteJson("plain"), "\"plain\"");
  EXPECT_EQ(quoteJson("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quoteJson("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  EXPECT_EQ(quoteJson(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(quoteJson(std::string("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(quoteJson("/opt/mesos"), "\"/opt/mesos\"");
  EXPECT_EQ(quoteJson("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

// Ensures nested objects and arrays get commas and colons in the right places.
TEST(JsonWriterTest, Nesting) {
  JsonWriter w;
  w.beginObject();
  w.field("id", "x");
  w.field("active", true);
  w.key("empty");
  w.beginObject();
  w.endObject();
  w.key("list");
  w.beginArray();
  w.beginObject();
  w.field("n", 1);
  w.endObject();
  w.nullValue();
  w.raw("{\"pre\":1}");
  w.beginArray();
  w.endArray();
  w.endArray();
  w.field("cpus", 4.0);
  w.endObject();
  EXPECT_EQ(w.take(),
            "{\"id\":\"x\",\"active\":true,\"empty\":{},\"list\":[{\"n\":1},null,{\"pre\":1},[]],"
            "\"cpus\":4.0}");
}

// Ensures the parser reads every JSON type, keeps order and exact integers.
TEST(JsonParserTest, ParsesValues) {
  auto v = parseJson(
      " {\"a\": [1, -2.5e3, true, false, null, \"s\"], \"b\": {\"c\": 18446744073709551615},"
      " \"a\": 0} ");
  ASSERT_TRUE(v.isOk()) << v.message();
  ASSERT_TRUE(v->isObject());
  EXPECT_EQ(v->asObject().size(), 3u);
  EXPECT_EQ(v->find("a")->asInt64(), 0);  // the last duplicate wins
  const JsonArray& a = v->asObject()[0].second.asArray();
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0].asInt64(), 1);
  EXPECT_DOUBLE_EQ(a[1].asDouble(), -2500);
  EXPECT_FALSE(a[1].asInt64());
  EXPECT_TRUE(a[2].asBool());
  EXPECT_FALSE(a[3].asBool());
  EXPECT_TRUE(a[4].isNull());
  EXPECT_EQ(a[5].asString(), "s");
  EXPECT_EQ(v->find("b")->find("c")->asUint64(), UINT64_MAX);
  EXPECT_FALSE(v->find("b")->find("c")->asInt64());
  EXPECT_EQ(v->find("missing"), nullptr);
  EXPECT_EQ(toJson(*v),
            "{\"a\":[1,-2.5e3,true,false,null,\"s\"],\"b\":{\"c\":18446744073709551615},"
            "\"a\":0}");
}

// Ensures escapes, including surrogate pairs, decode to UTF-8.
TEST(JsonParserTest, StringEscapes) {
  auto v = parseJson(R"(["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u20ac", "\ud83d\ude00"])");
  ASSERT_TRUE(v.isOk()) << v.message();
  EXPECT_EQ(v->asArray()[0].asString(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(v->asArray()[1].asString(), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(v->asArray()[2].asString(), "\xf0\x9f\x98\x80");
}

// Ensures malformed documents are rejected with an offset, and deep nesting is bounded.
TEST(JsonParserTest, RejectsMalformed) {
  for (const char* bad :
       {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "tru", "\"unterminated",
        "\"bad \\x escape\"", "[1] x", "{'a':1}", "\"tab\there\"", "\"\\ud83d\\u0041\"", "nul"}) {
    auto v = parseJson(bad);
    EXPECT_FALSE(v.isOk()) << bad;
    if (!v.isOk()) {
      EXPECT_NE(v.message().find("offset"), std::string::npos);
    }
  }
  std::string deep(300, '[');
  deep += std::string(300, ']');
  EXPECT_FALSE(parseJson(deep).isOk());
  std::string ok(200, '[');
  ok += std::string(200, ']');
  EXPECT_TRUE(parseJson(ok).isOk());
}

// Ensures every captured Mesos endpoint parses and re-renders byte for byte.
TEST(JsonParserTest, CapturedEndpointsRoundTrip) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(captureDir())) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    ++files;
    std::string text = readFile(entry.path().string());
    auto v = parseJson(text);
    ASSERT_TRUE(v.isOk()) << entry.path() << ": " << v.message();
    EXPECT_EQ(toJson(*v), text) << entry.path();
  }
  EXPECT_GE(files, 5);
}

// A runtime-built proto2 schema exercising every rendering rule.
class DynamicProtoTest : public testing::Test {
 protected:
  void SetUp() override {
    pb::FileDescriptorProto file;
    ASSERT_TRUE(pb::TextFormat::ParseFromString(
        R"pb(
          name: "keel_json_test.proto"
          package: "keeltest"
          syntax: "proto2"
          enum_type {
            name: "Kind"
            value { name: "FIRST" number: 1 }
            value { name: "SECOND" number: 2 }
          }
          message_type {
            name: "Inner"
            field { name: "value" number: 1 label: LABEL_REQUIRED type: TYPE_STRING }
          }
          message_type {
            name: "Outer"
            field { name: "late" number: 20 label: LABEL_OPTIONAL type: TYPE_INT32 }
            field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
            field { name: "count" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 }
            field { name: "big" number: 3 label: LABEL_OPTIONAL type: TYPE_UINT64 }
            field { name: "ratio" number: 4 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
            field { name: "flag" number: 5 label: LABEL_OPTIONAL type: TYPE_BOOL }
            field { name: "blob" number: 6 label: LABEL_OPTIONAL type: TYPE_BYTES }
            field {
              name: "kind"
              number: 7
              label: LABEL_OPTIONAL
              type: TYPE_ENUM
              type_name: ".keeltest.Kind"
              default_value: "SECOND"
            }
            field {
              name: "role"
              number: 8
              label: LABEL_OPTIONAL
              type: TYPE_STRING
              default_value: "*"
            }
            field {
              name: "old"
              number: 9
              label: LABEL_OPTIONAL
              type: TYPE_STRING
              default_value: "x"
              options { deprecated: true }
            }
            field {
              name: "inner"
              number: 10
              label: LABEL_OPTIONAL
              type: TYPE_MESSAGE
              type_name: ".keeltest.Inner"
            }
            field {
              name: "inners"
              number: 11
              label: LABEL_REPEATED
              type: TYPE_MESSAGE
              type_name: ".keeltest.Inner"
            }
            field { name: "tags" number: 12 label: LABEL_REPEATED type: TYPE_STRING }
            field {
              name: "kinds"
              number: 13
              label: LABEL_REPEATED
              type: TYPE_ENUM
              type_name: ".keeltest.Kind"
            }
            field { name: "small" number: 14 label: LABEL_OPTIONAL type: TYPE_FLOAT }
            field { name: "blobs" number: 15 label: LABEL_REPEATED type: TYPE_BYTES }
            field { name: "counts" number: 16 label: LABEL_REPEATED type: TYPE_UINT32 }
            field {
              name: "req_kind"
              number: 17
              label: LABEL_OPTIONAL
              type: TYPE_ENUM
              type_name: ".keeltest.Kind"
            }
          }
        )pb",
        &file));
    file_ = pool_.BuildFile(file);
    ASSERT_NE(file_, nullptr);
    outer_ = pool_.FindMessageTypeByName("keeltest.Outer");
    ASSERT_NE(outer_, nullptr);
  }

  std::unique_ptr<pb::Message> make(const std::string& text) {
    std::unique_ptr<pb::Message> m(factory_.GetPrototype(outer_)->New());
    EXPECT_TRUE(pb::TextFormat::ParseFromString(text, m.get())) << text;
    return m;
  }

  pb::DescriptorPool pool_;
  pb::DynamicMessageFactory factory_{&pool_};
  const pb::FileDescriptor* file_ = nullptr;
  const pb::Descriptor* outer_ = nullptr;
};

// Ensures an empty message shows only non-deprecated fields with explicit defaults.
TEST_F(DynamicProtoTest, DefaultsOnlyWhenDeclared) {
  auto m = make("");
  EXPECT_EQ(protobufToJson(*m), "{\"kind\":\"SECOND\",\"role\":\"*\"}");
}

// Ensures every field type renders like Mesos's JSON::Protobuf, in declaration order.
TEST_F(DynamicProtoTest, RendersEveryType) {
  auto m = make(R"pb(
    late: 7
    name: "n\"1"
    count: -9223372036854775808
    big: 18446744073709551615
    ratio: 4
    flag: false
    blob: "\x00\xff"
    kind: FIRST
    old: "y"
    inner { value: "i" }
    inners { value: "a" }
    inners { value: "b" }
    tags: "t1"
    tags: "t2"
    kinds: FIRST
    kinds: SECOND
    small: 0.5
    blobs: "foo"
    counts: 1
    counts: 4294967295
  )pb");
  EXPECT_EQ(protobufToJson(*m),
            "{\"late\":7,\"name\":\"n\\\"1\",\"count\":-9223372036854775808,"
            "\"big\":18446744073709551615,\"ratio\":4.0,\"flag\":false,\"blob\":\"AP8=\","
            "\"kind\":\"FIRST\",\"role\":\"*\",\"old\":\"y\",\"inner\":{\"value\":\"i\"},"
            "\"inners\":[{\"value\":\"a\"},{\"value\":\"b\"}],\"tags\":[\"t1\",\"t2\"],"
            "\"kinds\":[\"FIRST\",\"SECOND\"],\"small\":0.5,\"blobs\":[\"Zm9v\"],"
            "\"counts\":[1,4294967295]}");
}

// Ensures JSON -> protobuf -> JSON gives back the same message.
TEST_F(DynamicProtoTest, RoundTrip) {
  auto m = make(R"pb(
    name: "x"
    count: 42
    big: 18446744073709551615
    ratio: 0.1
    flag: true
    blob: "\x01\x02\x03"
    kind: FIRST
    inner { value: "i" }
    inners { value: "a" }
    tags: "t"
    kinds: SECOND
    blobs: ""
    counts: 3
  )pb");
  auto json = parseJson(protobufToJson(*m));
  ASSERT_TRUE(json.isOk()) << json.message();
  std::unique_ptr<pb::Message> back(factory_.GetPrototype(outer_)->New());
  Status s = jsonToProtobuf(*json, back.get());
  ASSERT_TRUE(s.isOk()) << s.message();
  // "role" came back explicitly set (its default was written); otherwise identical.
  auto expected = make(R"pb(
    name: "x"
    count: 42
    big: 18446744073709551615
    ratio: 0.1
    flag: true
    blob: "\x01\x02\x03"
    kind: FIRST
    role: "*"
    inner { value: "i" }
    inners { value: "a" }
    tags: "t"
    kinds: SECOND
    blobs: ""
    counts: 3
  )pb");
  EXPECT_EQ(back->SerializeAsString(), expected->SerializeAsString());
}

// Ensures JSON -> protobuf reports mismatches, bad base64 and missing required fields, and
// drops unknown members and unknown optional enum values.
TEST_F(DynamicProtoTest, ParseErrors) {
  auto parse = [&](const std::string& text) {
    auto json = parseJson(text);
    EXPECT_TRUE(json.isOk()) << text;
    std::unique_ptr<pb::Message> m(factory_.GetPrototype(outer_)->New());
    Status s = jsonToProtobuf(*json, m.get());
    return std::make_pair(s, protobufToJson(*m));
  };
  EXPECT_FALSE(parse(R"({"count":"abc"})").first.isOk());
  EXPECT_FALSE(parse(R"({"count":1.5})").first.isOk());
  EXPECT_FALSE(parse(R"({"name":1})").first.isOk());
  EXPECT_FALSE(parse(R"({"flag":"true"})").first.isOk());
  EXPECT_FALSE(parse(R"({"tags":"t"})").first.isOk());
  EXPECT_FALSE(parse(R"({"inner":[]})").first.isOk());
  EXPECT_FALSE(parse(R"({"blob":"!!"})").first.isOk());
  EXPECT_FALSE(parse(R"({"counts":[-1]})").first.isOk());
  auto missing = parse(R"({"inner":{}})");
  ASSERT_FALSE(missing.first.isOk());
  EXPECT_NE(missing.first.message().find("inner.value"), std::string::npos);
  EXPECT_FALSE(parse("[]").first.isOk());

  auto lenient = parse(R"({"unknown":1,"req_kind":"NOPE","count":"12","name":null,"big":3.0})");
  ASSERT_TRUE(lenient.first.isOk()) << lenient.first.message();
  EXPECT_EQ(lenient.second, "{\"count\":12,\"big\":3,\"kind\":\"SECOND\",\"role\":\"*\"}");
}

#ifdef KEEL_HAVE_MESOS_PROTO

// Ensures a protobuf's JSON for each captured Resource matches Mesos's bytes.
TEST(MesosProtoJsonTest, CapturedResourcesRoundTrip) {
  auto state = parseJson(readFile(captureDir() + "/agent-slave_1_-state.json"));
  ASSERT_TRUE(state.isOk()) << state.message();
  const JsonValue* full = state->find("unreserved_resources_full");
  ASSERT_NE(full, nullptr);
  ASSERT_EQ(full->asArray().size(), 4u);
  for (const JsonValue& element : full->asArray()) {
    mesos::Resource resource;
    Status s = jsonToProtobuf(element, &resource);
    ASSERT_TRUE(s.isOk()) << s.message();
    EXPECT_EQ(protobufToJson(resource), toJson(element));
  }
}

// Ensures captured ContainerStatus JSON (task statuses in /master/state) round-trips, and
// the IPAddress.protocol default is written even when unset, as Mesos does.
TEST(MesosProtoJsonTest, ContainerStatus) {
  auto state = parseJson(readFile(captureDir() + "/master-master-state.json"));
  ASSERT_TRUE(state.isOk());
  const JsonValue& framework = state->find("completed_frameworks")->asArray().at(0);
  const JsonValue& task = framework.find("completed_tasks")->asArray().at(0);
  const JsonValue* container = task.find("statuses")->asArray().at(0).find("container_status");
  ASSERT_NE(container, nullptr);
  mesos::ContainerStatus status;
  ASSERT_TRUE(jsonToProtobuf(*container, &status).isOk());
  EXPECT_EQ(protobufToJson(status), toJson(*container));

  mesos::ContainerStatus fresh;
  fresh.mutable_container_id()->set_value("c");
  fresh.add_network_infos()->add_ip_addresses()->set_ip_address("127.0.0.1");
  EXPECT_EQ(protobufToJson(fresh),
            "{\"container_id\":{\"value\":\"c\"},\"network_infos\":[{\"ip_addresses\":"
            "[{\"protocol\":\"IPv4\",\"ip_address\":\"127.0.0.1\"}]}]}");
}

// Ensures bytes fields (StatusUpdate-style uuids) render as base64 and enums by name.
TEST(MesosProtoJsonTest, TaskStatusBytesAndEnums) {
  mesos::TaskStatus status;
  status.mutable_task_id()->set_value("t");
  status.set_state(mesos::TASK_RUNNING);
  status.set_uuid(std::string("\x00\x01\x02", 3));
  std::string json = protobufToJson(status);
  EXPECT_NE(json.find("\"task_id\":{\"value\":\"t\"}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"state\":\"TASK_RUNNING\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"uuid\":\"AAEC\""), std::string::npos) << json;
}

#endif  // KEEL_HAVE_MESOS_PROTO

}  // namespace
}  // namespace keel
