#pragma once

// Internals of state_json.cpp shared with state_json_resources.cpp: the direct JSON writer
// and the resource sums behind Mesos's resource maps. Not for use elsewhere.

#include <google/protobuf/message.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/intervals.hpp"
#include "common/json.hpp"
#include "common/resources.hpp"

namespace keel::master::state_json {

// A JSON writer for renderers whose structure is fixed by the code: no nesting stack, just
// "a separator is due". Literal keys are trusted to need no escaping.
class Out {
 public:
  // `after_value`: `s` already ends with a value or member, so a separator is due.
  explicit Out(std::string* s, bool after_value = false) : s_(*s), comma_(after_value) {}

  void beginObject() {
    sep();
    s_.push_back('{');
    comma_ = false;
  }
  void endObject() {
    s_.push_back('}');
    comma_ = true;
  }
  void beginArray() {
    sep();
    s_.push_back('[');
    comma_ = false;
  }
  void endArray() {
    s_.push_back(']');
    comma_ = true;
  }
  void emptyArray(std::string_view k) {
    key(k);
    s_ += "[]";
    comma_ = true;
  }
  // A literal key (no characters that need escaping).
  void key(std::string_view k) {
    sep();
    s_.push_back('"');
    s_.append(k);
    s_ += "\":";
    comma_ = false;
  }
  // A key from data.
  void dataKey(std::string_view k) {
    sep();
    appendJsonString(s_, k);
    s_.push_back(':');
    comma_ = false;
  }
  void str(std::string_view v) {
    sep();
    appendJsonString(s_, v);
    comma_ = true;
  }
  void num(double v) {
    sep();
    appendJsonDouble(s_, v);
    comma_ = true;
  }
  // The double nearest thousandths / 1000, as num() would write it (keel::Resources keeps
  // scalars in thousandths). Below 1e5 the trimmed decimal is the shortest text that reads
  // back to that double and to_chars would not choose exponent form: write it directly.
  void thousandths(int64_t thousandths) {
    if (thousandths < 0 || thousandths >= 100000000) {
      num(static_cast<double>(thousandths) / 1000.0);
      return;
    }
    sep();
    char buffer[24];
    char* end = std::to_chars(buffer, buffer + sizeof buffer, thousandths / 1000).ptr;
    *end++ = '.';
    int frac = static_cast<int>(thousandths % 1000);
    if (frac == 0) {
      *end++ = '0';
    } else {
      *end++ = static_cast<char>('0' + frac / 100);
      if (frac % 100 != 0) {
        *end++ = static_cast<char>('0' + frac / 10 % 10);
        if (frac % 10 != 0) *end++ = static_cast<char>('0' + frac % 10);
      }
    }
    s_.append(buffer, end);
    comma_ = true;
  }
  void integer(int64_t v) {
    sep();
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    s_.append(buffer, end);
    comma_ = true;
  }
  void boolean(bool b) {
    sep();
    s_ += b ? "true" : "false";
    comma_ = true;
  }
  // Text continuing what was written last, appended as it is (no separator).
  void continued(std::string_view json) {
    s_.append(json);
    comma_ = true;
  }
  // Already-rendered JSON as one value.
  void raw(std::string_view json) {
    sep();
    s_.append(json);
    comma_ = true;
  }
  // Already-rendered members ("a":1,"b":2) of the object being written.
  void members(std::string_view json) {
    if (json.empty()) return;
    sep();
    s_.append(json);
    comma_ = true;
  }
  void protobuf(const google::protobuf::Message& m) {
    thread_local JsonWriter scratch;
    scratch.reset();
    writeProtobuf(scratch, m);
    sep();
    s_.append(scratch.str());
    comma_ = true;
  }
  std::string& buffer() { return s_; }

 private:
  void sep() {
    if (comma_) s_.push_back(',');
  }

  std::string& s_;
  bool comma_ = false;
};

// Mesos's resource map of a keel::Resources, the general way (maps and sets).
void writeResourcesSlow(Out& w, const Resources& r);

// Sums resources for the resource map without building keel::Resources. It reproduces what
// rendering the normalized sum would print: invalid and empty resources are dropped, scalars
// add up in fixed point, ranges coalesce and sets unite per name. Where the sum's result
// would depend on how keel::Resources splits a name by identity (reservations, allocation
// role, ...), it gives up (exact() false) and the caller takes the general path.
class ResourceSum {
 public:
  void add(const mesos::Resource& r);
  void add(const google::protobuf::RepeatedPtrField<mesos::Resource>& list) {
    for (const auto& r : list) add(r);
  }
  void add(const ResourceSum& that);

  bool exact() const { return exact_; }

  // Writes the map; may be called again (it sorts and merges in place).
  void write(Out& w);

 private:
  struct Named {
    const mesos::Resource* first;  // the first resource of this name; fixes its identity
    int64_t fixed;
    std::vector<Interval> intervals;
    std::vector<std::string_view> items;
  };

  // The entry named like `r`; nullptr if none. Clears exact_ when its identity differs.
  Named* find(std::vector<Named>& list, const mesos::Resource& r);

  bool exact_ = true;
  int64_t known_[4] = {0, 0, 0, 0};
  std::vector<Named> scalars_;
  std::vector<Named> ranges_;
  std::vector<Named> sets_;
};

}  // namespace keel::master::state_json
