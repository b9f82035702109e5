// RAII owners for SQLite's C handles. Raw sqlite3_close/finalize calls live
// here only: every handle is owned by one of these from the moment SQLite
// returns it.
#pragma once

#include <sqlite3.h>

#include <memory>

namespace hvagent::store {

struct DatabaseCloser {
  // close_v2 defers the close until every statement is finalized, so the order
  // in which owners are destroyed does not matter.
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};

using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

}  // namespace hvagent::store
