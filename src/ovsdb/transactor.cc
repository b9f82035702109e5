#include "hvagent/ovsdb/transactor.h"

namespace hvagent::ovsdb {

StatusOr<bool> Transactor::RowExists(const std::string& table, const std::string& column,
                                     const std::string& value) {
  const nlohmann::json select = {{"op", "select"},
                                 {"table", table},
                                 {"where", {{column, "==", value}}},
                                 {"columns", {column}}};
  // json::array(): a braced {select} would be a copy of the object itself.
  HVAGENT_ASSIGN_OR_RETURN(nlohmann::json results, Transact(nlohmann::json::array({select})));
  return !results.at(0).at("rows").empty();
}

}  // namespace hvagent::ovsdb
