#include "hvagent/ovsdb/transactor.h"

#include "hvagent/ovsdb/datum.h"

namespace hvagent::ovsdb {

StatusOr<bool> Transactor::RowExists(const std::string& table, const std::string& column,
                                     const std::string& value) {
  // json::array(): a braced {select} would be a copy of the object itself.
  HVAGENT_ASSIGN_OR_RETURN(
      nlohmann::json results,
      Transact(nlohmann::json::array({Select(table, WhereEq(column, value), {column})})));
  return !results.at(0).at("rows").empty();
}

}  // namespace hvagent::ovsdb
