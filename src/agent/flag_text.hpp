#pragma once

#include <optional>
#include <string>

namespace keel::agent {

// The text of a string flag whether it is declared as std::string or
// std::optional<std::string>; "" when unset.
inline std::string flagText(const std::string& value) { return value; }
inline std::string flagText(const std::optional<std::string>& value) {
  return value.value_or(std::string());
}

}  // namespace keel::agent
