#include "hvagent/ovsdb/json_framer.h"

namespace hvagent::ovsdb {

StatusOr<std::optional<nlohmann::json>> JsonFramer::Next() {
  for (; scanned_ < buffer_.size(); ++scanned_) {
    const char c = buffer_[scanned_];
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ < 0) return absl::InvalidArgumentError("ovsdb sent an unbalanced '}' or ']'");
      if (depth_ > 0) continue;
      const size_t end = scanned_ + 1;
      nlohmann::json value =
          nlohmann::json::parse(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(end),
                                nullptr, /*allow_exceptions=*/false);
      buffer_.erase(0, end);
      scanned_ = 0;
      if (value.is_discarded()) return absl::InvalidArgumentError("ovsdb sent malformed JSON");
      return std::optional<nlohmann::json>(std::move(value));
    } else if (depth_ == 0 && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      return absl::InvalidArgumentError(
          fmt::format("ovsdb sent '{}' outside a JSON object", std::string(1, c)));
    }
  }
  return std::optional<nlohmann::json>();
}

}  // namespace hvagent::ovsdb
