// Outcomes of mutating API calls by request_id, kept across restarts. Every
// method is atomic and joins the calling thread's open Database::Transaction,
// if any: save a record in the same transaction as the change it answers, and
// either both persist or neither does.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

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
  // A record with `pending` set is an intent, answered later by Complete.
  Status Save(const RequestRecord& record);
  // The pending intent `request_id`'s generated values become `generated`.
  Status SetGenerated(std::string_view request_id, std::string_view generated);
  // The pending intent `request_id` is answered: done, with this outcome.
  Status Complete(std::string_view request_id, int status_code, std::string_view status_message,
                  std::string_view response);
  // The pending intent `request_id` is dropped (its call changed nothing).
  Status Forget(std::string_view request_id);
  // Every pending intent, oldest first.
  StatusOr<std::vector<RequestRecord>> Pending();
  // Deletes the answered records created before `older_than_unix_ms`, then
  // all but the `keep_at_most` newest. Pending intents are kept: the next
  // start resumes them. Returns how many were deleted.
  StatusOr<int64_t> Prune(int64_t older_than_unix_ms, int64_t keep_at_most);

 private:
  Database* db_;
};

}  // namespace hvagent::store
