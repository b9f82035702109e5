// The client's local copy of the monitored tables, and the pure rules that keep
// it in step with ovsdb-server: RFC 7047 "update" notifications (monitor) and
// ovsdb-server(7) "update2" notifications (monitor_cond), whose "modify" carries
// diffs — an atom is replaced, a set's listed elements are toggled, a map's
// listed pairs are inserted, deleted (same value) or replaced (other value).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/database_schema.h"

namespace hvagent::ovsdb {

// One row: column -> value in RFC 7047 notation, sets and maps sorted, every
// monitored column present.
using Row = nlohmann::json;
// Row UUID -> row.
using Table = std::map<std::string, Row>;

struct RowChange {
  enum class Kind { kInsert, kModify, kDelete };
  std::string table;
  std::string uuid;
  Kind kind;
  // kDelete: the row as it was, so that a listener can tell what went (the
  // cache no longer has it); null for the other kinds.
  Row old = nullptr;
  bool operator==(const RowChange&) const = default;
};

// Sorts a set's elements and a map's pairs, and writes a one-element set as its
// bare atom (as ovsdb-server does), so equal data is equal JSON.
nlohmann::json NormalizeDatum(const nlohmann::json& datum);

// The value of a column after an update2 `diff` is applied to `old`.
// `old` is taken by value: a caller that moves it in spares a copy of a
// whole set (a bridge's ports) on every update.
StatusOr<nlohmann::json> ApplyDatumDiff(const ColumnType& type, nlohmann::json old,
                                        const nlohmann::json& diff);

class Cache {
 public:
  // Applies <table-updates> (the monitor reply or an "update" notification).
  // On error the cache may be half-updated: the caller resyncs.
  StatusOr<std::vector<RowChange>> ApplyUpdate(const nlohmann::json& table_updates,
                                               const DatabaseSchema& schema);
  // Applies <table-updates2> (the monitor_cond reply or an "update2" notification).
  StatusOr<std::vector<RowChange>> ApplyUpdate2(const nlohmann::json& table_updates2,
                                                const DatabaseSchema& schema);
  // What changed from `before` to `after` (how listeners hear of a resync).
  static std::vector<RowChange> Diff(const Cache& before, const Cache& after);

  const std::map<std::string, Table>& tables() const { return tables_; }
  // The table, or an empty one when nothing of it is cached.
  const Table& table(const std::string& name) const;
  // The UUID and row of `table`'s row named `name`, or nulls: O(log n), for
  // the tables whose "name" is a unique index (Bridge, Port, Interface), where
  // the agent looks a row up on every port change.
  std::pair<const std::string*, const Row*> FindNamed(const std::string& table,
                                                      const std::string& name) const;
  bool operator==(const Cache&) const = default;

  // name -> UUID of the row that has it.
  using NameIndex = std::map<std::string, std::string, std::less<>>;

 private:
  // A new row: its columns normalized and the missing ones at their defaults.
  static Row CompleteRow(const nlohmann::json& row, const TableSchema* schema);

  std::map<std::string, Table> tables_;
  // Per table, of the rows that have a string "name": kept with tables_.
  std::map<std::string, NameIndex> names_;
};

}  // namespace hvagent::ovsdb
