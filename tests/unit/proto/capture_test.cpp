// Decodes every recorded Mesos 1.12 message with Keel's generated types and checks that the text
// form matches Mesos's own decoding and that re-encoding reproduces the recorded bytes.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "capture_reader.hpp"

namespace keel::proto_test {
namespace {

namespace pb = google::protobuf;

const std::string kMessagesDir = std::string(KEEL_WIRE_CAPTURES_DIR) + "/messages";

// A fresh, empty message of the named generated type, or nullptr if our schema lacks it.
std::unique_ptr<pb::Message> newMessage(const std::string& type) {
  const pb::Descriptor* descriptor =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
  if (descriptor == nullptr) {
    return nullptr;
  }
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(descriptor);
  return prototype == nullptr ? nullptr : std::unique_ptr<pb::Message>(prototype->New());
}

std::string toText(const pb::Message& message) {
  std::string text;
  pb::TextFormat::PrintToString(message, &text);
  return text;
}

// Parses `bytes` as `type` and checks the round trip; appends the text form to `text`.
void checkBody(const std::string& type, const std::string& bytes, std::string* text) {
  std::unique_ptr<pb::Message> message = newMessage(type);
  ASSERT_NE(message, nullptr) << "no generated type " << type;
  ASSERT_TRUE(message->ParseFromString(bytes))
      << "missing required fields: " << message->InitializationErrorString();
  // Fields our schema doesn't know would be kept as unknown fields and still round-trip, so
  // the text comparison (which prints them by number) is what catches them.
  EXPECT_EQ(message->SerializeAsString(), bytes) << "re-encoded bytes differ for " << type;
  *text += toText(*message);
}

std::string paramName(const testing::TestParamInfo<CaptureFile>& info) {
  std::string name = info.param.stem;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

class CaptureTest : public testing::TestWithParam<CaptureFile> {};

// Ensures the capture decodes with our schema to exactly Mesos's text form and re-encodes to the
// recorded bytes (or, for captures without a .txt, that the body is empty and still valid).
TEST_P(CaptureTest, MatchesMesosDecodingAndBytes) {
  const CaptureFile& capture = GetParam();
  std::optional<std::string> http = readFile(capture.http_path);
  ASSERT_TRUE(http.has_value()) << capture.http_path;
  std::optional<std::string> body = httpBody(*http);
  ASSERT_TRUE(body.has_value()) << "bad HTTP framing in " << capture.http_path;
  const std::string type = captureType(capture.stem);

  if (capture.txt_path.empty()) {
    EXPECT_TRUE(body->empty()) << "a non-empty capture should have a .txt decoding";
    std::string text;
    checkBody(type, *body, &text);
    EXPECT_EQ(text, "");
    return;
  }

  std::optional<std::string> expected = readFile(capture.txt_path);
  ASSERT_TRUE(expected.has_value()) << capture.txt_path;
  std::string text;
  if (isRecordIoStream(capture.stem)) {
    std::optional<std::vector<std::string>> records = recordIoRecords(*body);
    ASSERT_TRUE(records.has_value()) << "bad RecordIO framing";
    ASSERT_FALSE(records->empty());
    for (const std::string& record : *records) {
      text += "# record of " + std::to_string(record.size()) + " bytes\n";
      checkBody(type, record, &text);
    }
  } else {
    checkBody(type, *body, &text);
  }
  EXPECT_EQ(text, *expected);
}

INSTANTIATE_TEST_SUITE_P(WireCaptures, CaptureTest, testing::ValuesIn(listCaptures(kMessagesDir)),
                         paramName);

// Ensures the captures folder is really there, so an empty parameter list can't pass silently.
TEST(CaptureInventory, FolderHoldsCapturesOfEveryKind) {
  std::vector<CaptureFile> captures = listCaptures(kMessagesDir);
  ASSERT_GT(captures.size(), 100u) << "captures not found in " << kMessagesDir;
  bool saw_v0 = false, saw_v1_call = false, saw_v1_stream = false;
  for (const CaptureFile& capture : captures) {
    const std::string type = captureType(capture.stem);
    saw_v0 |= type.rfind("mesos.internal.", 0) == 0;
    saw_v1_call |= type == "mesos.v1.scheduler.Call";
    saw_v1_stream |= isRecordIoStream(capture.stem);
  }
  EXPECT_TRUE(saw_v0);
  EXPECT_TRUE(saw_v1_call);
  EXPECT_TRUE(saw_v1_stream);
}

// Ensures the HTTP reader handles split chunks, a cut-off stream and Content-Length bodies.
TEST(CaptureReader, DecodesChunkedAndSizedBodies) {
  EXPECT_EQ(
      httpBody(
          "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
      std::optional<std::string>("abcde"));
  EXPECT_EQ(httpBody("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
            std::optional<std::string>("abc"));
  EXPECT_EQ(httpBody("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy"),
            std::optional<std::string>("xy"));
  EXPECT_EQ(httpBody("POST /a HTTP/1.1\r\nHost: h\r\n\r\n"), std::optional<std::string>(""));
  EXPECT_FALSE(
      httpBody("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab\r\n").has_value());
  EXPECT_EQ(recordIoRecords("3\nabc0\n2\nxy"),
            std::optional<std::vector<std::string>>({"abc", "", "xy"}));
  EXPECT_FALSE(recordIoRecords("4\nabc").has_value());
}

}  // namespace
}  // namespace keel::proto_test
