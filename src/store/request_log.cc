#include "hvagent/store/request_log.h"

namespace hvagent::store {

StatusOr<std::optional<RequestRecord>> RequestLog::Find(std::string_view request_id) {
  return db_->ReadOne(
      fmt::format("find request '{}'", request_id),
      "SELECT request_id, method, fingerprint, status_code, status_message, response, "
      "created_unix_ms FROM requests WHERE request_id = ?1",
      [](const Statement& row) {
        return RequestRecord{
            .request_id = row.ColumnText(0),
            .method = row.ColumnText(1),
            .fingerprint = row.ColumnText(2),
            .status_code = static_cast<int>(row.ColumnInt64(3)),
            .status_message = row.ColumnText(4),
            .response = row.ColumnBlob(5),
            .created_unix_ms = row.ColumnInt64(6),
        };
      },
      request_id);
}

Status RequestLog::Save(const RequestRecord& record) {
  if (record.request_id.empty()) {
    return absl::InvalidArgumentError("a request record needs a request_id");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t saved,
      db_->Write(fmt::format("save request '{}'", record.request_id),
                 "INSERT INTO requests (request_id, method, fingerprint, status_code, "
                 "status_message, response, created_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                 "ON CONFLICT (request_id) DO NOTHING",
                 record.request_id, record.method, record.fingerprint, int64_t{record.status_code},
                 record.status_message, Blob{record.response}, record.created_unix_ms));
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
    HVAGENT_ASSIGN_OR_RETURN(const int64_t by_age,
                             db_->Write("by age", "DELETE FROM requests WHERE created_unix_ms < ?1",
                                        older_than_unix_ms));
    // Ties on the time are broken by id so that the rows kept are well defined.
    HVAGENT_ASSIGN_OR_RETURN(
        const int64_t by_count,
        db_->Write("by count",
                   "DELETE FROM requests WHERE request_id NOT IN (SELECT request_id FROM "
                   "requests ORDER BY created_unix_ms DESC, request_id DESC LIMIT ?1)",
                   keep_at_most));
    deleted = by_age + by_count;
    return absl::OkStatus();
  });
  HVAGENT_RETURN_IF_ERROR(Annotate(status, "prune requests"));
  return deleted;
}

}  // namespace hvagent::store
