// One mutating API call by the client's request_id: its intent, recorded
// before it acts (pending), then its outcome (done), so that a retry gets the
// first answer instead of a second action, and a retry after a crash resumes
// the same intent with the same generated values.
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
  bool pending = false;          // recorded before acting, not answered yet
  std::string request;           // serialized request bytes, to resume a pending one
  std::string generated = "{}";  // JSON object: the values the call generated

  bool operator==(const RequestRecord&) const = default;
};

}  // namespace hvagent::store
