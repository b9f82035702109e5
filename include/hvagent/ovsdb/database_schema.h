// What the cache needs to know of an OVSDB schema (RFC 7047 §3.2): for each
// column whether it holds one value, a set or a map, because update2 diffs
// (ovsdb-server(7)) mean "replace" for a single value but "toggle" for a set's
// elements, and a bare atom on the wire can be either.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

struct ColumnType {
  // As ovsdb-server diffs them: only a column that can hold more than one
  // element (max > 1) is a set or map; an optional value (min 0, max 1) is
  // replaced whole, like an atom.
  enum class Kind { kAtom, kSet, kMap };
  Kind kind = Kind::kAtom;
  std::string key_type = "string";  // integer, real, boolean, string, uuid
  int min = 1;                      // fewest elements (0 = optional)
  bool has_value = false;           // a map (key/value pairs)
  // The column's default value in wire notation (what a freshly inserted row holds).
  nlohmann::json DefaultValue() const;
};

struct TableSchema {
  std::map<std::string, ColumnType> columns;
};

struct DatabaseSchema {
  std::string name;
  std::string version;
  std::map<std::string, TableSchema> tables;

  // Parses the result of get_schema; INVALID_ARGUMENT naming what is malformed.
  static StatusOr<DatabaseSchema> Parse(const nlohmann::json& schema);
};

}  // namespace hvagent::ovsdb
