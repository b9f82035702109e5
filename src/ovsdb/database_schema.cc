#include "hvagent/ovsdb/database_schema.h"

#include "hvagent/ovsdb/datum.h"

namespace hvagent::ovsdb {

namespace {

using nlohmann::json;

json DefaultAtom(const std::string& type) {
  if (type == "integer") return 0;
  if (type == "real") return 0.0;
  if (type == "boolean") return false;
  if (type == "uuid") return Uuid("00000000-0000-0000-0000-000000000000");
  return "";
}

// <base-type>: "integer" or {"type": "integer", ...constraints}.
StatusOr<std::string> BaseType(const json& base, const std::string& where) {
  if (base.is_string()) return base.get<std::string>();
  if (base.is_object() && base.contains("type") && base["type"].is_string()) {
    return base["type"].get<std::string>();
  }
  return absl::InvalidArgumentError(fmt::format("schema: {} has no base type", where));
}

StatusOr<ColumnType> ParseColumnType(const json& type, const std::string& where) {
  ColumnType column;
  if (!type.is_object()) {
    HVAGENT_ASSIGN_OR_RETURN(column.key_type, BaseType(type, where));
    return column;
  }
  HVAGENT_ASSIGN_OR_RETURN(column.key_type, BaseType(type.value("key", json()), where));
  column.min = type.value("min", 1);
  column.has_value = type.contains("value");
  const json max = type.value("max", json(1));
  const bool single = max.is_number() && max.get<int>() == 1;
  if (single) {
    column.kind = ColumnType::Kind::kAtom;  // ovsdb_type_is_composite() is false
  } else {
    column.kind = column.has_value ? ColumnType::Kind::kMap : ColumnType::Kind::kSet;
  }
  return column;
}

}  // namespace

json ColumnType::DefaultValue() const {
  if (has_value && min == 0) return Map({});
  if (min == 0) return EmptySet();
  return DefaultAtom(key_type);
}

StatusOr<DatabaseSchema> DatabaseSchema::Parse(const json& schema) {
  if (!schema.is_object() || !schema.contains("tables") || !schema["tables"].is_object()) {
    return absl::InvalidArgumentError("schema: 'tables' must be an object");
  }
  DatabaseSchema out;
  out.name = schema.value("name", "");
  out.version = schema.value("version", "");
  for (const auto& [table_name, table] : schema["tables"].items()) {
    if (!table.is_object() || !table.contains("columns") || !table["columns"].is_object()) {
      return absl::InvalidArgumentError(
          fmt::format("schema: table '{}' must have a 'columns' object", table_name));
    }
    TableSchema& parsed = out.tables[table_name];
    for (const auto& [column_name, column] : table["columns"].items()) {
      const std::string where = fmt::format("column {}.{}", table_name, column_name);
      if (!column.is_object() || !column.contains("type")) {
        return absl::InvalidArgumentError(fmt::format("schema: {} has no type", where));
      }
      HVAGENT_ASSIGN_OR_RETURN(parsed.columns[column_name], ParseColumnType(column["type"], where));
    }
  }
  return out;
}

}  // namespace hvagent::ovsdb
