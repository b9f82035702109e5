#include "hvagent/store/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "absl/cleanup/cleanup.h"
#include "hvagent/store/schema.h"
#include "hvagent/store/sqlite_error.h"
#include "spdlog/spdlog.h"

namespace hvagent::store {

namespace {

// Creates `dir` and its missing ancestors, each 0700: the store is the
// agent's private state.
Status MakeDirectories(const std::filesystem::path& dir) {
  std::error_code ignored;
  if (dir.empty() || std::filesystem::is_directory(dir, ignored)) {
    return absl::OkStatus();
  }
  HVAGENT_RETURN_IF_ERROR(MakeDirectories(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, fmt::format("create directory '{}'", dir.string()));
  }
  return absl::OkStatus();
}

// Creates the file 0600 before SQLite does (it would use 0644 minus the umask);
// SQLite gives its -wal and -shm files the same mode.
Status CreateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, fmt::format("open '{}'", path));
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  const std::string context = fmt::format("open store '{}'", path);
  if (path.empty()) {
    return absl::InvalidArgumentError("open store: the path is empty");
  }
  HVAGENT_RETURN_IF_ERROR(
      Annotate(MakeDirectories(std::filesystem::path(path).parent_path()), context));
  HVAGENT_RETURN_IF_ERROR(Annotate(CreateFile(path), context));

  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  DatabaseHandle handle(raw);  // owned even when the open failed
  if (rc != SQLITE_OK) {
    return SqliteError(handle.get(), rc, context);
  }
  std::unique_ptr<Database> db(new Database(path, std::move(handle)));
  HVAGENT_RETURN_IF_ERROR(Annotate(db->Configure(), context));
  HVAGENT_RETURN_IF_ERROR(Annotate(db->Migrate(), context));
  return db;
}

Status Database::Configure() {
  // Constraint failures then say which kind (unique, primary key…).
  sqlite3_extended_result_codes(db_.get(), 1);
  // Set first: the statements below may wait for another process's lock.
  HVAGENT_RETURN_IF_ERROR(Exec("PRAGMA busy_timeout = 5000"));
  // The first statement to read the file: a file that is not a database fails here.
  HVAGENT_ASSIGN_OR_RETURN(Statement wal, Prepare("PRAGMA journal_mode = WAL"));
  HVAGENT_ASSIGN_OR_RETURN(const bool row, wal.Step());
  const std::string mode = row ? wal.ColumnText(0) : "";
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        fmt::format("the journal mode is '{}', and WAL could not be set", mode));
  }
  // With WAL, NORMAL loses at most the last commits on power loss, never integrity.
  return Exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
}

Status Database::Migrate() {
  const std::span<const std::string_view> steps = SchemaMigrations();
  const auto latest = static_cast<int64_t>(steps.size());
  HVAGENT_ASSIGN_OR_RETURN(const int64_t version, SchemaVersion());
  if (version > latest) {
    return absl::FailedPreconditionError(
        fmt::format("the schema version is {}, newer than this agent's {}", version, latest));
  }
  for (int64_t target = version + 1; target <= latest; ++target) {
    const Status applied = Transaction([&]() -> Status {
      // Another process may have migrated meanwhile: decide under the write lock.
      HVAGENT_ASSIGN_OR_RETURN(const int64_t current, SchemaVersion());
      if (current >= target) {
        return absl::OkStatus();
      }
      HVAGENT_RETURN_IF_ERROR(Exec(steps[static_cast<size_t>(target - 1)]));
      return Exec(fmt::format("PRAGMA user_version = {}", target));
    });
    HVAGENT_RETURN_IF_ERROR(Annotate(applied, fmt::format("schema migration {}", target)));
    spdlog::info("store '{}': applied schema migration {}", path_, target);
  }
  return absl::OkStatus();
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  const std::lock_guard lock(mu_);
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(db_.get(), rc);
  }
  return absl::OkStatus();
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  std::unique_lock lock(mu_);
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StatementHandle stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteError(db_.get(), rc, fmt::format("prepare '{}'", sql));
  }
  if (!stmt) {
    return absl::InvalidArgumentError(fmt::format("prepare '{}': no statement", sql));
  }
  // A second statement would silently never run.
  const std::string_view rest = sql.substr(static_cast<size_t>(tail - sql.data()));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        fmt::format("prepare '{}': more than one statement (use Exec)", sql));
  }
  return Statement(std::move(lock), db_.get(), std::move(stmt));
}

Status Database::Transaction(const std::function<Status()>& body) {
  const std::lock_guard lock(mu_);
  const bool outermost = depth_ == 0;
  const std::string savepoint = fmt::format("hvagent_{}", depth_);
  HVAGENT_RETURN_IF_ERROR(Exec(outermost ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint));
  ++depth_;
  bool committed = false;
  // Also undoes the transaction if `body` throws: it must never stay open.
  absl::Cleanup finish = [&] {
    --depth_;
    if (!committed) {
      RollBack(outermost, savepoint);
    }
  };
  Status status = body();
  if (!status.ok()) {
    return status;
  }
  status = Exec(outermost ? "COMMIT" : "RELEASE " + savepoint);
  committed = status.ok();
  return Annotate(status, "commit");
}

void Database::RollBack(bool outermost, const std::string& savepoint) {
  // After some errors (SQLITE_FULL, IOERR, BUSY…) SQLite has already rolled
  // the whole transaction back.
  if (sqlite3_get_autocommit(db_.get()) != 0) {
    return;
  }
  const Status status = Exec(outermost ? std::string("ROLLBACK")
                                       : fmt::format("ROLLBACK TO {0}; RELEASE {0}", savepoint));
  if (!status.ok()) {
    spdlog::warn("store '{}': rollback failed: {}", path_, status);
  }
}

bool Database::InTransaction() const {
  const std::lock_guard lock(mu_);
  return depth_ > 0;
}

StatusOr<int64_t> Database::SchemaVersion() {
  HVAGENT_ASSIGN_OR_RETURN(Statement version, Prepare("PRAGMA user_version"));
  HVAGENT_ASSIGN_OR_RETURN(const bool row, version.Step());
  if (!row) {
    return absl::InternalError("PRAGMA user_version returned no row");
  }
  return version.ColumnInt64(0);
}

}  // namespace hvagent::store
