// SQLite result codes as the project's Status, with SQLite's message kept.
#pragma once

#include <sqlite3.h>

#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::store {

// The Status code for an (extended) SQLite result code: a taken key is
// ALREADY_EXISTS, a locked database UNAVAILABLE (the caller may retry), a full
// disk RESOURCE_EXHAUSTED, a file that is not a database FAILED_PRECONDITION,
// anything else INTERNAL.
absl::StatusCode StatusCodeForSqliteResult(int result_code);

// The Status for `result_code`, carrying sqlite3_errmsg(db) (or the code's
// generic text when there is no connection) after `context`, if not empty.
// Call it right after the failing call, with the connection still locked.
Status SqliteError(sqlite3* db, int result_code, std::string_view context = {});

}  // namespace hvagent::store
