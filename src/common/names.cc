#include "hvagent/common/names.h"

#include <algorithm>

namespace hvagent {

namespace {

// ASCII only: isalnum would follow the locale.
bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool AllNameChars(std::string_view value) {
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

}  // namespace

Status ValidateResourceName(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  if (value.size() > 64) {
    return Invalid(field, fmt::format("must be at most 64 characters (has {})", value.size()));
  }
  if (!AllNameChars(value) || !IsAsciiAlnum(value.front())) {
    return Invalid(
        field, "must use only letters, digits, '_', '.' and '-', starting with a letter or digit");
  }
  return absl::OkStatus();
}

Status ValidateInterfaceName(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  if (value.size() > 15) {
    return Invalid(field,
                   fmt::format("must be at most 15 characters, a Linux interface name (has {})",
                               value.size()));
  }
  if (!AllNameChars(value) || value == "." || value == "..") {
    return Invalid(field, "must use only letters, digits, '_', '.' and '-'");
  }
  return absl::OkStatus();
}

}  // namespace hvagent
