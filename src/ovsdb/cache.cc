#include "hvagent/ovsdb/cache.h"

#include <algorithm>

namespace hvagent::ovsdb {

namespace {

using nlohmann::json;

bool IsSet(const json& datum) {
  return datum.is_array() && datum.size() == 2 && datum[0] == "set" && datum[1].is_array();
}
bool IsMap(const json& datum) {
  return datum.is_array() && datum.size() == 2 && datum[0] == "map" && datum[1].is_array();
}

// A set datum's elements (a bare atom is a set of one).
std::vector<json> Elements(const json& datum) {
  if (IsSet(datum)) return {datum[1].begin(), datum[1].end()};
  return {datum};
}

json EncodeSet(std::vector<json> elements) {
  std::sort(elements.begin(), elements.end());
  if (elements.size() == 1) return elements.front();
  return json::array({"set", json(std::move(elements))});
}

json EncodeMap(const std::map<json, json>& pairs) {
  json out = json::array();
  for (const auto& [k, v] : pairs) out.push_back(json::array({k, v}));
  return json::array({"map", std::move(out)});
}

StatusOr<std::map<json, json>> MapPairs(const json& datum) {
  std::map<json, json> pairs;
  if (!IsMap(datum)) {
    return absl::InvalidArgumentError(fmt::format("expected a map datum, got {}", datum.dump()));
  }
  for (const json& pair : datum[1]) {
    if (!pair.is_array() || pair.size() != 2) {
      return absl::InvalidArgumentError(fmt::format("malformed map pair {}", pair.dump()));
    }
    pairs[pair[0]] = pair[1];
  }
  return pairs;
}

const TableSchema* FindTable(const DatabaseSchema& schema, const std::string& name) {
  const auto it = schema.tables.find(name);
  return it == schema.tables.end() ? nullptr : &it->second;
}

const ColumnType* FindColumn(const TableSchema* table, const std::string& name) {
  if (table == nullptr) return nullptr;
  const auto it = table->columns.find(name);
  return it == table->columns.end() ? nullptr : &it->second;
}

Status CheckTableUpdates(const json& updates) {
  if (!updates.is_object()) {
    return absl::InvalidArgumentError(
        fmt::format("table updates must be an object, got {}", updates.dump()));
  }
  for (const auto& [table, rows] : updates.items()) {
    if (!rows.is_object()) {
      return absl::InvalidArgumentError(
          fmt::format("updates of table {} must be an object", table));
    }
  }
  return absl::OkStatus();
}

// A row the server deleted (either protocol): gone from the cache, its last
// value carried by the change. Nothing for a row not cached.
void ForgetRow(const std::string& table_name, const std::string& uuid, Table& table,
               std::vector<RowChange>& changes) {
  const auto it = table.find(uuid);
  if (it == table.end()) return;
  changes.push_back({table_name, uuid, RowChange::Kind::kDelete, std::move(it->second)});
  table.erase(it);
}

// Runs `apply(table_name, table_schema, table, uuid, update, changes)` on
// every row update of a notification (update and update2 share the
// table -> uuid -> update nesting); the changes it reports, or its first error.
template <typename Apply>
StatusOr<std::vector<RowChange>> ForEachRowUpdate(std::map<std::string, Table>& tables,
                                                  const json& table_updates,
                                                  const DatabaseSchema& schema, Apply apply) {
  HVAGENT_RETURN_IF_ERROR(CheckTableUpdates(table_updates));
  std::vector<RowChange> changes;
  for (const auto& [table_name, rows] : table_updates.items()) {
    const TableSchema* table_schema = FindTable(schema, table_name);
    Table& table = tables[table_name];
    for (const auto& [uuid, update] : rows.items()) {
      HVAGENT_RETURN_IF_ERROR(apply(table_name, table_schema, table, uuid, update, changes));
    }
  }
  return changes;
}

}  // namespace

json NormalizeDatum(const json& datum) {
  if (IsSet(datum)) return EncodeSet(Elements(datum));
  if (IsMap(datum)) {
    auto pairs = MapPairs(datum);
    return pairs.ok() ? EncodeMap(*pairs) : datum;
  }
  return datum;
}

StatusOr<json> ApplyDatumDiff(const ColumnType& type, const json& old, const json& diff) {
  switch (type.kind) {
    case ColumnType::Kind::kAtom: return NormalizeDatum(diff);
    case ColumnType::Kind::kSet: {
      std::vector<json> elements = Elements(old);
      for (const json& e : Elements(diff)) {
        const auto it = std::find(elements.begin(), elements.end(), e);
        if (it == elements.end()) {
          elements.push_back(e);
        } else {
          elements.erase(it);
        }
      }
      return EncodeSet(std::move(elements));
    }
    case ColumnType::Kind::kMap: {
      HVAGENT_ASSIGN_OR_RETURN(auto pairs, MapPairs(old));
      HVAGENT_ASSIGN_OR_RETURN(auto changes, MapPairs(diff));
      for (const auto& [k, v] : changes) {
        const auto it = pairs.find(k);
        if (it == pairs.end()) {
          pairs.emplace(k, v);
        } else if (it->second == v) {
          pairs.erase(it);
        } else {
          it->second = v;
        }
      }
      return EncodeMap(pairs);
    }
  }
  return diff;
}

const Table& Cache::table(const std::string& name) const {
  static const Table kEmpty;
  const auto it = tables_.find(name);
  return it == tables_.end() ? kEmpty : it->second;
}

Row Cache::CompleteRow(const json& row, const TableSchema* schema) {
  Row out = json::object();
  for (const auto& [column, value] : row.items()) out[column] = NormalizeDatum(value);
  if (schema != nullptr) {
    for (const auto& [column, type] : schema->columns) {
      if (!out.contains(column)) out[column] = type.DefaultValue();
    }
  }
  return out;
}

StatusOr<std::vector<RowChange>> Cache::ApplyUpdate(const json& table_updates,
                                                    const DatabaseSchema& schema) {
  return ForEachRowUpdate(
      tables_, table_updates, schema,
      [](const std::string& table_name, const TableSchema* table_schema, Table& table,
         const std::string& uuid, const json& update, std::vector<RowChange>& changes) -> Status {
        if (!update.is_object()) {
          return absl::InvalidArgumentError(
              fmt::format("update of row {} must be an object", uuid));
        }
        if (!update.contains("new") || update["new"].is_null()) {
          ForgetRow(table_name, uuid, table, changes);
          return absl::OkStatus();
        }
        const auto it = table.find(uuid);
        const json& fresh = update["new"];
        if (!fresh.is_object()) {
          return absl::InvalidArgumentError(fmt::format("new row {} must be an object", uuid));
        }
        if (it == table.end()) {
          table.emplace(uuid, CompleteRow(fresh, table_schema));
          changes.push_back({table_name, uuid, RowChange::Kind::kInsert});
        } else {
          // "new" holds the whole row; merging keeps any column it leaves out.
          for (const auto& [column, value] : fresh.items())
            it->second[column] = NormalizeDatum(value);
          changes.push_back({table_name, uuid, RowChange::Kind::kModify});
        }
        return absl::OkStatus();
      });
}

StatusOr<std::vector<RowChange>> Cache::ApplyUpdate2(const json& table_updates2,
                                                     const DatabaseSchema& schema) {
  return ForEachRowUpdate(
      tables_, table_updates2, schema,
      [](const std::string& table_name, const TableSchema* table_schema, Table& table,
         const std::string& uuid, const json& update, std::vector<RowChange>& changes) -> Status {
        if (!update.is_object() || update.size() != 1) {
          return absl::InvalidArgumentError(
              fmt::format("update2 of row {} must be an object with one member", uuid));
        }
        // The one member's name is the kind of update. Not a structured binding of
        // *update.items().begin(): that binds to a temporary iteration_proxy_value
        // which dies at the end of the declaration (stack-use-after-scope).
        const auto member = update.begin();
        const std::string& kind = member.key();
        const json& row = member.value();
        if (kind == "delete") {
          ForgetRow(table_name, uuid, table, changes);
          return absl::OkStatus();
        }
        const auto it = table.find(uuid);
        if (!row.is_object()) {
          return absl::InvalidArgumentError(
              fmt::format("{} of row {} must be an object", kind, uuid));
        }
        if (kind == "initial" || kind == "insert") {
          // A resent insert replaces the row: never two copies of one UUID.
          const bool existed = it != table.end();
          table[uuid] = CompleteRow(row, table_schema);
          changes.push_back(
              {table_name, uuid, existed ? RowChange::Kind::kModify : RowChange::Kind::kInsert});
        } else if (kind == "modify") {
          if (it == table.end()) {
            return absl::InvalidArgumentError(
                fmt::format("modify of row {} in {}, which is not cached", uuid, table_name));
          }
          for (const auto& [column, diff] : row.items()) {
            const ColumnType* type = FindColumn(table_schema, column);
            if (type == nullptr) {
              it->second[column] = NormalizeDatum(diff);  // unknown column: take the value
              continue;
            }
            const json old =
                it->second.contains(column) ? it->second[column] : type->DefaultValue();
            HVAGENT_ASSIGN_OR_RETURN(it->second[column], ApplyDatumDiff(*type, old, diff));
          }
          changes.push_back({table_name, uuid, RowChange::Kind::kModify});
        } else {
          return absl::InvalidArgumentError(
              fmt::format("unknown update2 kind '{}' for row {}", kind, uuid));
        }
        return absl::OkStatus();
      });
}

std::vector<RowChange> Cache::Diff(const Cache& before, const Cache& after) {
  std::vector<RowChange> changes;
  for (const auto& [name, table] : before.tables_) {
    const Table& next = after.table(name);
    for (const auto& [uuid, row] : table) {
      const auto it = next.find(uuid);
      if (it == next.end()) {
        changes.push_back({name, uuid, RowChange::Kind::kDelete, row});
      } else if (it->second != row) {
        changes.push_back({name, uuid, RowChange::Kind::kModify});
      }
    }
  }
  for (const auto& [name, table] : after.tables_) {
    const Table& previous = before.table(name);
    for (const auto& [uuid, row] : table) {
      if (!previous.contains(uuid)) changes.push_back({name, uuid, RowChange::Kind::kInsert});
    }
  }
  return changes;
}

}  // namespace hvagent::ovsdb
