// The remembered outcome of one mutating API call, keyed by the client's
// request_id, so that a retry gets the first answer instead of a second action.
#pragma once

#include <cstdint>
#include <string>

namespace hvagent::store {

struct RequestRecord {
  std::string request_id;
  std::string method;       // e.g. "/hvagent.v1.NetworkService/CreateNetwork"
  std::string fingerprint;  // of the request, to tell a retry from a reused id
  int status_code = 0;      // absl::StatusCode of the first answer
  std::string status_message;
  std::string response;  // serialized response bytes; may hold NULs
  int64_t created_unix_ms = 0;

  bool operator==(const RequestRecord&) const = default;
};

}  // namespace hvagent::store
