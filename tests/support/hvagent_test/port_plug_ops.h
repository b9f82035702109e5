// The OVSDB operations of a port plug, as tests send them by hand.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "hvagent/ovsdb/datum.h"

namespace hvagent::testing {

// Inserts Interface and Port `name` (with VLAN `tag` unless it is null) and
// adds the port to `bridge`. The uuid-names "iface" and "port" are the same
// in every call, as in the agent's own plugs: batching must keep them apart.
inline nlohmann::json PortPlugOps(const std::string& bridge, const std::string& name,
                                  const nlohmann::json& tag = nullptr) {
  nlohmann::json port_row = {{"name", name}, {"interfaces", ovsdb::NamedUuid("iface")}};
  if (!tag.is_null()) port_row["tag"] = tag;
  return nlohmann::json::array(
      {{{"op", "insert"},
        {"table", "Interface"},
        {"uuid-name", "iface"},
        {"row", {{"name", name}}}},
       {{"op", "insert"}, {"table", "Port"}, {"uuid-name", "port"}, {"row", port_row}},
       {{"op", "mutate"},
        {"table", "Bridge"},
        {"where", ovsdb::WhereEq("name", bridge)},
        {"mutations", nlohmann::json::array({nlohmann::json::array(
                          {"ports", "insert", ovsdb::Set({ovsdb::NamedUuid("port")})})})}}});
}

}  // namespace hvagent::testing
