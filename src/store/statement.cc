#include "hvagent/store/statement.h"

#include "hvagent/store/sqlite_error.h"

namespace hvagent::store {

namespace {
// SQLite binds a null pointer as NULL: an empty string or blob must not be one.
const char* NonNull(std::string_view bytes) { return bytes.data() != nullptr ? bytes.data() : ""; }
}  // namespace

void Statement::KeepBindError(int result_code, int index) {
  if (result_code != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = SqliteError(db_, result_code, fmt::format("bind parameter {}", index));
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  KeepBindError(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  KeepBindError(sqlite3_bind_text64(stmt_.get(), index, NonNull(text), text.size(),
                                    SQLITE_TRANSIENT, SQLITE_UTF8),
                index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  KeepBindError(
      sqlite3_bind_blob64(stmt_.get(), index, NonNull(bytes), bytes.size(), SQLITE_TRANSIENT),
      index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  KeepBindError(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

StatusOr<bool> Statement::Step() {
  HVAGENT_RETURN_IF_ERROR(bind_error_);
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return SqliteError(db_, rc);
}

Status Statement::Run() {
  while (true) {
    HVAGENT_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) {
      return absl::OkStatus();
    }
  }
}

void Statement::Reset() {
  // sqlite3_reset only repeats the last Step's error, already reported.
  (void)sqlite3_reset(stmt_.get());
  (void)sqlite3_clear_bindings(stmt_.get());
  bind_error_ = absl::OkStatus();
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_.get()); }

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::ColumnText(int column) const {
  // The pointer first, then its size: that order keeps the conversion stable.
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (text == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_.get(), column);
  const int size = sqlite3_column_bytes(stmt_.get(), column);
  if (blob == nullptr) {
    return {};
  }
  return {static_cast<const char*>(blob), static_cast<size_t>(size)};
}

int64_t Statement::Changes() const { return sqlite3_changes64(db_); }

}  // namespace hvagent::store
