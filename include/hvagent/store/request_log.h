// Outcomes of mutating API calls by request_id, kept across restarts. Every
// method is atomic and joins the calling thread's open Database::Transaction,
// if any: save a record in the same transaction as the change it answers, and
// either both persist or neither does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"
#include "hvagent/store/request_record.h"

namespace hvagent::store {

class RequestLog {
 public:
  // `db` must outlive this object.
  explicit RequestLog(Database& db) : db_(&db) {}

  // The record saved under `request_id`, or nullopt if there is none.
  StatusOr<std::optional<RequestRecord>> Find(std::string_view request_id);
  // ALREADY_EXISTS if `record.request_id` is taken; INVALID_ARGUMENT if empty.
  Status Save(const RequestRecord& record);
  // Deletes the records created before `older_than_unix_ms`, then all but the
  // `keep_at_most` newest. Returns how many were deleted.
  StatusOr<int64_t> Prune(int64_t older_than_unix_ms, int64_t keep_at_most);

 private:
  Database* db_;
};

}  // namespace hvagent::store
