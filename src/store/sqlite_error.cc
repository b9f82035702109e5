#include "hvagent/store/sqlite_error.h"

namespace hvagent::store {

absl::StatusCode StatusCodeForSqliteResult(int result_code) {
  switch (result_code) {
    case SQLITE_OK: return absl::StatusCode::kOk;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_ROWID: return absl::StatusCode::kAlreadyExists;
    default: break;
  }
  // The low byte is the primary code, whatever extended code refines it.
  switch (result_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return absl::StatusCode::kUnavailable;
    case SQLITE_FULL: return absl::StatusCode::kResourceExhausted;
    case SQLITE_NOTADB: return absl::StatusCode::kFailedPrecondition;
    default: return absl::StatusCode::kInternal;
  }
}

Status SqliteError(sqlite3* db, int result_code, std::string_view context) {
  const char* text = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
  std::string message = fmt::format("{} (sqlite error {})", text, result_code);
  if (!context.empty()) {
    message = fmt::format("{}: {}", context, message);
  }
  return Status(StatusCodeForSqliteResult(result_code), message);
}

}  // namespace hvagent::store
