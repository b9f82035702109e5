// A prepared SQLite statement. It holds the Database's lock from Prepare until
// it is destroyed, so its bind/step/read sequence is atomic with respect to
// other threads: keep it a short-lived local of the thread that prepared it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/store/handles.h"

namespace hvagent::store {

// Bytes to bind as a BLOB (they may hold NULs), for Statement::BindAll.
struct Blob {
  std::string_view bytes;
};

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
  // Binds `values` to parameters 1, 2, … in their order.
  template <typename... Values>
  Statement& BindAll(const Values&... values) {
    int index = 0;
    (BindValue(++index, values), ...);
    return *this;
  }

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

  // Steps to the query's one row and reads it with `read` (given this
  // statement): nullopt when there is no row. A failed step is annotated
  // with `what` ("get network 'x'").
  template <typename Read>
  StatusOr<std::optional<std::invoke_result_t<Read, const Statement&>>> ReadOne(
      std::string_view what, Read read) {
    using Row = std::invoke_result_t<Read, const Statement&>;
    StatusOr<bool> row = Step();
    if (!row.ok()) return Annotate(row.status(), what);
    if (!*row) return std::optional<Row>();
    return std::optional<Row>(read(std::as_const(*this)));
  }
  // Every row of the query, in its order, each read with `read`.
  template <typename Read>
  StatusOr<std::vector<std::invoke_result_t<Read, const Statement&>>> ReadAll(std::string_view what,
                                                                              Read read) {
    std::vector<std::invoke_result_t<Read, const Statement&>> rows;
    while (true) {
      StatusOr<bool> row = Step();
      if (!row.ok()) return Annotate(row.status(), what);
      if (!*row) return rows;
      rows.push_back(read(std::as_const(*this)));
    }
  }

 private:
  friend class Database;
  Statement(std::unique_lock<std::recursive_mutex> lock, sqlite3* db, StatementHandle stmt)
      : lock_(std::move(lock)), db_(db), stmt_(std::move(stmt)) {}

  void KeepBindError(int result_code, int index);
  void BindValue(int index, int64_t value) { Bind(index, value); }
  void BindValue(int index, std::string_view text) { Bind(index, text); }
  void BindValue(int index, Blob blob) { BindBlob(index, blob.bytes); }

  // Declared first so that it is released last, after finalizing.
  std::unique_lock<std::recursive_mutex> lock_;
  sqlite3* db_;  // owned by the Database, which outlives its statements
  StatementHandle stmt_;
  Status bind_error_;
};

}  // namespace hvagent::store
