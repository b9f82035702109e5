// The agent's embedded SQLite store: one connection, WAL journal, schema
// migrated on open (see schema.h).
//
// Threads: every call is atomic. A Statement holds the connection's lock for
// its whole life and Transaction holds it for its whole body, so a transaction
// never sees another thread's statements. The lock is recursive: statements and
// nested transactions inside a body, on the same thread, just join it. Never
// wait on another thread that uses the store while holding either.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/store/handles.h"
#include "hvagent/store/statement.h"

namespace hvagent::store {

class Database {
 public:
  // Opens or creates the store at `path` (file 0600, missing parent
  // directories 0700) and applies pending migrations. FAILED_PRECONDITION if
  // the file is not a SQLite database or has a newer schema than this agent.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database() = default;

  const std::string& path() const { return path_; }

  // Runs one or more SQL statements that return no rows of interest.
  Status Exec(std::string_view sql);
  // Prepares exactly one statement; see Statement for the locking.
  StatusOr<Statement> Prepare(std::string_view sql);

  // The one-statement forms every store takes: prepare `sql`, bind `values`
  // to ?1, ?2, … (Statement::BindAll), then run it. A failed step is
  // annotated with `what` ("get network 'x'").

  // An INSERT, UPDATE or DELETE: the rows it changed.
  template <typename... Values>
  StatusOr<int64_t> Write(std::string_view what, std::string_view sql, const Values&... values) {
    HVAGENT_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    HVAGENT_RETURN_IF_ERROR(Annotate(statement.BindAll(values...).Run(), what));
    return statement.Changes();
  }

  // A query's one row, read with `read` (Statement::ReadOne): nullopt when none.
  template <typename Read, typename... Values>
  StatusOr<std::optional<std::invoke_result_t<Read, const Statement&>>> ReadOne(
      std::string_view what, std::string_view sql, Read read, const Values&... values) {
    HVAGENT_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    return statement.BindAll(values...).ReadOne(what, read);
  }

  // Every row of a query, in its order, each read with `read`.
  template <typename Read, typename... Values>
  StatusOr<std::vector<std::invoke_result_t<Read, const Statement&>>> ReadAll(
      std::string_view what, std::string_view sql, Read read, const Values&... values) {
    HVAGENT_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    return statement.BindAll(values...).ReadAll(what, read);
  }

  // Runs `body` in a transaction (BEGIN IMMEDIATE … COMMIT) and rolls it back
  // if `body` fails, returning body's error unchanged. Called inside another
  // body on the same thread, it becomes a savepoint: its failure undoes only
  // its own part, and the outer body decides what to do.
  Status Transaction(const std::function<Status()>& body);
  // Whether the calling thread is inside a Transaction body.
  bool InTransaction() const;

  // PRAGMA user_version: the number of migration steps applied.
  StatusOr<int64_t> SchemaVersion();

 private:
  Database(std::string path, DatabaseHandle db) : path_(std::move(path)), db_(std::move(db)) {}

  Status Configure();
  Status Migrate();
  void RollBack(bool outermost, const std::string& savepoint);

  std::string path_;
  DatabaseHandle db_;
  mutable std::recursive_mutex mu_;
  int depth_ = 0;  // nesting of Transaction bodies; only the lock holder touches it
};

}  // namespace hvagent::store
