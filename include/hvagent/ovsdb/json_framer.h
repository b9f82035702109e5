// Splits the byte stream of an OVSDB connection into JSON values: ovsdb-server
// sends one JSON object after another with no framing. Incremental, so a large
// monitor reply arriving in many reads is scanned once.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

class JsonFramer {
 public:
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete value, nullopt when more bytes are needed, or
  // INVALID_ARGUMENT when the stream is not JSON (the connection is then unusable).
  StatusOr<std::optional<nlohmann::json>> Next();
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  size_t scanned_ = 0;  // bytes of buffer_ already scanned for the current value
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace hvagent::ovsdb
