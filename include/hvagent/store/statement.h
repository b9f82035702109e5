// A prepared SQLite statement. It holds the Database's lock from Prepare until
// it is destroyed, so its bind/step/read sequence is atomic with respect to
// other threads: keep it a short-lived local of the thread that prepared it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/store/handles.h"

namespace hvagent::store {

class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  // Assignment would finalize the old statement after releasing its lock.
  Statement& operator=(Statement&&) = delete;
  ~Statement() = default;

  // Parameters are numbered from 1 and copied. Binding never fails on the
  // spot: the first failure is kept and returned by the next Step or Run.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);  // may hold NULs
  Statement& BindNull(int index);

  // Runs to the next row: true when a row is available, false when done.
  StatusOr<bool> Step();
  // Steps until done, ignoring any rows (INSERT, UPDATE, DELETE, DDL).
  Status Run();
  // Rewinds for another run and clears the bindings.
  void Reset();

  // The current row's columns, numbered from 0. NULL reads as 0 or "".
  int ColumnCount() const;
  bool IsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

  // Rows changed by the connection's last completed INSERT, UPDATE or DELETE.
  int64_t Changes() const;

 private:
  friend class Database;
  Statement(std::unique_lock<std::recursive_mutex> lock, sqlite3* db, StatementHandle stmt)
      : lock_(std::move(lock)), db_(db), stmt_(std::move(stmt)) {}

  void KeepBindError(int result_code, int index);

  // Declared first so that it is released last, after finalizing.
  std::unique_lock<std::recursive_mutex> lock_;
  sqlite3* db_;  // owned by the Database, which outlives its statements
  StatementHandle stmt_;
  Status bind_error_;
};

}  // namespace hvagent::store
