#include "hvagent/ovsdb/cache.h"

#include <algorithm>
#include <iterator>

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

// A set datum's elements, moved out of it.
std::vector<json> TakeElements(json&& datum) {
  if (IsSet(datum)) return std::move(datum[1].get_ref<json::array_t&>());
  return {std::move(datum)};
}

// Sorted elements as a set datum (one element: its bare atom).
json EncodeSortedSet(std::vector<json> elements) {
  if (elements.size() == 1) return std::move(elements.front());
  return json::array({"set", json(std::move(elements))});
}

json EncodeSet(std::vector<json> elements) {
  std::sort(elements.begin(), elements.end());
  return EncodeSortedSet(std::move(elements));
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

const std::string* NameOf(const Row& row) {
  const auto it = row.find("name");
  return it != row.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// `row` (of `uuid`) out of, or into, its table's name index.
void Unindex(Cache::NameIndex& names, const std::string& uuid, const Row& row) {
  const std::string* name = NameOf(row);
  if (name == nullptr) return;
  const auto it = names.find(*name);
  if (it != names.end() && it->second == uuid) names.erase(it);
}
void Index(Cache::NameIndex& names, const std::string& uuid, const Row& row) {
  if (const std::string* name = NameOf(row)) names[*name] = uuid;
}

// A row the server deleted (either protocol): gone from the cache, its last
// value carried by the change. Nothing for a row not cached.
void ForgetRow(const std::string& table_name, const std::string& uuid, Table& table,
               Cache::NameIndex& names, std::vector<RowChange>& changes) {
  const auto it = table.find(uuid);
  if (it == table.end()) return;
  Unindex(names, uuid, it->second);
  changes.push_back({table_name, uuid, RowChange::Kind::kDelete, std::move(it->second)});
  table.erase(it);
}

// Runs `apply(table_name, table_schema, table, names, uuid, update, changes)`
// on every row update of a notification (update and update2 share the
// table -> uuid -> update nesting); the changes it reports, or its first error.
template <typename Apply>
StatusOr<std::vector<RowChange>> ForEachRowUpdate(std::map<std::string, Table>& tables,
                                                  std::map<std::string, Cache::NameIndex>& names,
                                                  const json& table_updates,
                                                  const DatabaseSchema& schema, Apply apply) {
  HVAGENT_RETURN_IF_ERROR(CheckTableUpdates(table_updates));
  std::vector<RowChange> changes;
  for (const auto& [table_name, rows] : table_updates.items()) {
    const TableSchema* table_schema = FindTable(schema, table_name);
    Table& table = tables[table_name];
    Cache::NameIndex& table_names = names[table_name];
    for (const auto& [uuid, update] : rows.items()) {
      HVAGENT_RETURN_IF_ERROR(
          apply(table_name, table_schema, table, table_names, uuid, update, changes));
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

StatusOr<json> ApplyDatumDiff(const ColumnType& type, json old, const json& diff) {
  switch (type.kind) {
    case ColumnType::Kind::kAtom: return NormalizeDatum(diff);
    case ColumnType::Kind::kSet: {
      // The diff's elements are toggled: one merge of two sorted ranges, so a
      // bridge's thousands of ports cost one pass per update, not one per port.
      std::vector<json> elements = TakeElements(std::move(old));
      if (!std::is_sorted(elements.begin(), elements.end())) {
        std::sort(elements.begin(), elements.end());
      }
      std::vector<json> toggled = Elements(diff);
      std::sort(toggled.begin(), toggled.end());
      std::vector<json> result;
      result.reserve(elements.size() + toggled.size());
      std::set_symmetric_difference(std::make_move_iterator(elements.begin()),
                                    std::make_move_iterator(elements.end()), toggled.begin(),
                                    toggled.end(), std::back_inserter(result));
      return EncodeSortedSet(std::move(result));
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

std::pair<const std::string*, const Row*> Cache::FindNamed(const std::string& table,
                                                           const std::string& name) const {
  const auto names = names_.find(table);
  if (names == names_.end()) return {nullptr, nullptr};
  const auto named = names->second.find(name);
  if (named == names->second.end()) return {nullptr, nullptr};
  const Table& rows = this->table(table);
  const auto row = rows.find(named->second);
  if (row == rows.end()) return {nullptr, nullptr};
  return {&row->first, &row->second};
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
      tables_, names_, table_updates, schema,
      [](const std::string& table_name, const TableSchema* table_schema, Table& table,
         NameIndex& names, const std::string& uuid, const json& update,
         std::vector<RowChange>& changes) -> Status {
        if (!update.is_object()) {
          return absl::InvalidArgumentError(
              fmt::format("update of row {} must be an object", uuid));
        }
        if (!update.contains("new") || update["new"].is_null()) {
          ForgetRow(table_name, uuid, table, names, changes);
          return absl::OkStatus();
        }
        const auto it = table.find(uuid);
        const json& fresh = update["new"];
        if (!fresh.is_object()) {
          return absl::InvalidArgumentError(fmt::format("new row {} must be an object", uuid));
        }
        if (it == table.end()) {
          const auto made = table.emplace(uuid, CompleteRow(fresh, table_schema)).first;
          Index(names, uuid, made->second);
          changes.push_back({table_name, uuid, RowChange::Kind::kInsert});
        } else {
          // "new" holds the whole row; merging keeps any column it leaves out.
          Unindex(names, uuid, it->second);
          for (const auto& [column, value] : fresh.items())
            it->second[column] = NormalizeDatum(value);
          Index(names, uuid, it->second);
          changes.push_back({table_name, uuid, RowChange::Kind::kModify});
        }
        return absl::OkStatus();
      });
}

StatusOr<std::vector<RowChange>> Cache::ApplyUpdate2(const json& table_updates2,
                                                     const DatabaseSchema& schema) {
  return ForEachRowUpdate(
      tables_, names_, table_updates2, schema,
      [](const std::string& table_name, const TableSchema* table_schema, Table& table,
         NameIndex& names, const std::string& uuid, const json& update,
         std::vector<RowChange>& changes) -> Status {
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
          ForgetRow(table_name, uuid, table, names, changes);
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
          if (existed) Unindex(names, uuid, it->second);
          Row& kept = table[uuid];
          kept = CompleteRow(row, table_schema);
          Index(names, uuid, kept);
          changes.push_back(
              {table_name, uuid, existed ? RowChange::Kind::kModify : RowChange::Kind::kInsert});
        } else if (kind == "modify") {
          if (it == table.end()) {
            return absl::InvalidArgumentError(
                fmt::format("modify of row {} in {}, which is not cached", uuid, table_name));
          }
          Unindex(names, uuid, it->second);
          for (const auto& [column, diff] : row.items()) {
            const ColumnType* type = FindColumn(table_schema, column);
            if (type == nullptr) {
              it->second[column] = NormalizeDatum(diff);  // unknown column: take the value
              continue;
            }
            // Moved, not copied, into the diff (on error the caller resyncs).
            json& value = it->second[column];
            json old = value.is_null() ? type->DefaultValue() : std::move(value);
            HVAGENT_ASSIGN_OR_RETURN(value, ApplyDatumDiff(*type, std::move(old), diff));
          }
          Index(names, uuid, it->second);
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
