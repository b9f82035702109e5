#include "hvagent/store/request_log.h"

namespace hvagent::store {

namespace {

constexpr std::string_view kColumns =
    "request_id, method, fingerprint, status_code, status_message, response, created_unix_ms, "
    "state, request, generated";

RequestRecord ReadRecord(const Statement& row) {
  return RequestRecord{
      .request_id = row.ColumnText(0),
      .method = row.ColumnText(1),
      .fingerprint = row.ColumnText(2),
      .status_code = static_cast<int>(row.ColumnInt64(3)),
      .status_message = row.ColumnText(4),
      .response = row.ColumnBlob(5),
      .created_unix_ms = row.ColumnInt64(6),
      .pending = row.ColumnText(7) == "pending",
      .request = row.ColumnBlob(8),
      .generated = row.ColumnText(9),
  };
}

// NOT_FOUND when `changed` is 0: no pending intent `request_id`.
Status OnePendingChanged(int64_t changed, std::string_view request_id) {
  if (changed == 0) {
    return absl::NotFoundError(fmt::format("no pending intent for request '{}'", request_id));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::optional<RequestRecord>> RequestLog::Find(std::string_view request_id) {
  return db_->ReadOne(fmt::format("find request '{}'", request_id),
                      fmt::format("SELECT {} FROM requests WHERE request_id = ?1", kColumns),
                      &ReadRecord, request_id);
}

StatusOr<std::vector<RequestRecord>> RequestLog::Pending() {
  return db_->ReadAll("list pending intents",
                      fmt::format("SELECT {} FROM requests WHERE state = 'pending' ORDER BY "
                                  "created_unix_ms, request_id",
                                  kColumns),
                      &ReadRecord);
}

Status RequestLog::SetGenerated(std::string_view request_id, std::string_view generated) {
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t changed,
      db_->Write(fmt::format("record the values request '{}' generated", request_id),
                 "UPDATE requests SET generated = ?2 WHERE request_id = ?1 AND state = 'pending'",
                 request_id, generated));
  return OnePendingChanged(changed, request_id);
}

Status RequestLog::Complete(std::string_view request_id, int status_code,
                            std::string_view status_message, std::string_view response) {
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t changed,
      db_->Write(fmt::format("record the answer to request '{}'", request_id),
                 "UPDATE requests SET state = 'done', status_code = ?2, status_message = ?3, "
                 "response = ?4 WHERE request_id = ?1 AND state = 'pending'",
                 request_id, int64_t{status_code}, status_message, Blob{response}));
  return OnePendingChanged(changed, request_id);
}

Status RequestLog::Forget(std::string_view request_id) {
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t changed,
      db_->Write(fmt::format("forget request '{}'", request_id),
                 "DELETE FROM requests WHERE request_id = ?1 AND state = 'pending'", request_id));
  return OnePendingChanged(changed, request_id);
}

Status RequestLog::Save(const RequestRecord& record) {
  if (record.request_id.empty()) {
    return absl::InvalidArgumentError("a request record needs a request_id");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t saved,
      db_->Write(fmt::format("save request '{}'", record.request_id),
                 "INSERT INTO requests (request_id, method, fingerprint, status_code, "
                 "status_message, response, created_unix_ms, state, request, generated) VALUES "
                 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (request_id) DO NOTHING",
                 record.request_id, record.method, record.fingerprint, int64_t{record.status_code},
                 record.status_message, Blob{record.response}, record.created_unix_ms,
                 std::string_view(record.pending ? "pending" : "done"), Blob{record.request},
                 record.generated));
  if (saved == 0) {
    return absl::AlreadyExistsError(
        fmt::format("request '{}' is already recorded", record.request_id));
  }
  return absl::OkStatus();
}

StatusOr<int64_t> RequestLog::Prune(int64_t older_than_unix_ms, int64_t keep_at_most) {
  if (keep_at_most < 0) {
    return absl::InvalidArgumentError(
        fmt::format("prune requests: keep_at_most is {}, below 0", keep_at_most));
  }
  int64_t deleted = 0;
  const Status status = db_->Transaction([&]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(
        const int64_t by_age,
        db_->Write("by age", "DELETE FROM requests WHERE state = 'done' AND created_unix_ms < ?1",
                   older_than_unix_ms));
    // Ties on the time are broken by id so that the rows kept are well defined.
    HVAGENT_ASSIGN_OR_RETURN(
        const int64_t by_count,
        db_->Write("by count",
                   "DELETE FROM requests WHERE state = 'done' AND request_id NOT IN (SELECT "
                   "request_id FROM requests ORDER BY created_unix_ms DESC, request_id DESC "
                   "LIMIT ?1)",
                   keep_at_most));
    deleted = by_age + by_count;
    return absl::OkStatus();
  });
  HVAGENT_RETURN_IF_ERROR(Annotate(status, "prune requests"));
  return deleted;
}

}  // namespace hvagent::store
