// A table keyed by a unique `name` column (networks, service chains): its
// lookup by name, its delete and its errors, written once for every such
// table. Private to the store module.
#pragma once

#include <string_view>

#include "hvagent/store/database.h"

namespace hvagent::store {

template <typename Record>
struct NamedRows {
  std::string_view kind;    // in errors: "network", "service chain"
  std::string_view table;   // "networks"
  std::string_view select;  // "SELECT … FROM table", the columns `read` expects
  Record (*read)(const Statement& row);

  Status NotFound(std::string_view name) const {
    return absl::NotFoundError(fmt::format("{} '{}' does not exist", kind, name));
  }

  // An INSERT … ON CONFLICT (name) DO NOTHING that changed no row met a taken name.
  Status CheckInserted(int64_t inserted, std::string_view name) const {
    if (inserted != 0) return absl::OkStatus();
    return absl::AlreadyExistsError(fmt::format("{} '{}' already exists", kind, name));
  }

  StatusOr<Record> Get(Database& db, std::string_view name) const {
    HVAGENT_ASSIGN_OR_RETURN(std::optional<Record> record,
                             db.ReadOne(fmt::format("get {} '{}'", kind, name),
                                        fmt::format("{} WHERE name = ?1", select), read, name));
    if (!record.has_value()) return NotFound(name);
    return *std::move(record);
  }

  StatusOr<std::vector<Record>> List(Database& db) const {
    return db.ReadAll(fmt::format("list {}s", kind), fmt::format("{} ORDER BY name", select), read);
  }

  Status Delete(Database& db, std::string_view name) const {
    HVAGENT_ASSIGN_OR_RETURN(const int64_t deleted,
                             db.Write(fmt::format("delete {} '{}'", kind, name),
                                      fmt::format("DELETE FROM {} WHERE name = ?1", table), name));
    if (deleted == 0) return NotFound(name);
    return absl::OkStatus();
  }
};

}  // namespace hvagent::store
