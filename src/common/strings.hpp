#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

// Small string helpers shared by the daemons, the drivers and the tools. Pure functions; safe
// from any thread.
namespace keel::strings {

// Splits `text` at every character in `delims`, keeping empty pieces ("a,,b" -> a, "", b).
// An empty `text` gives one empty piece.
std::vector<std::string> split(std::string_view text, std::string_view delims);

// Like split() but drops empty pieces ("a,,b" -> a, b; "" -> nothing).
std::vector<std::string> tokenize(std::string_view text, std::string_view delims);

// `text` without leading and trailing characters from `chars`.
std::string trim(std::string_view text, std::string_view chars = " \t\r\n");

std::string lower(std::string_view text);  // ASCII only
std::string upper(std::string_view text);  // ASCII only

bool startsWith(std::string_view text, std::string_view prefix);
bool endsWith(std::string_view text, std::string_view suffix);

std::string join(const std::vector<std::string>& pieces, std::string_view separator);

// Every occurrence of `from` (non-empty) replaced by `to`.
std::string replaceAll(std::string_view text, std::string_view from, std::string_view to);

// Whole-string numeric parsing: no leading/trailing junk, no empty string, no overflow.
// parseInt64 accepts an optional sign; parseUint64 rejects any sign.
std::optional<int64_t> parseInt64(std::string_view text);
std::optional<uint64_t> parseUint64(std::string_view text);
std::optional<double> parseDouble(std::string_view text);

// Standard base64 (RFC 4648, '+' '/', '=' padding), as Mesos renders protobuf bytes in JSON.
std::string base64Encode(std::string_view data);

// Decodes standard base64; padding is optional. Errors on any other character.
Result<std::string> base64Decode(std::string_view text);

}  // namespace keel::strings
