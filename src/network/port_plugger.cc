#include "hvagent/network/port_plugger.h"

#include "hvagent/ovsdb/cache.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

json OvsdbSet(const std::vector<uint32_t>& values) {
  json items = json::array();
  for (const uint32_t v : values) items.push_back(v);
  return json::array({"set", items});
}

json OvsdbMap(const std::map<std::string, std::string>& values) {
  json pairs = json::array();
  for (const auto& [k, v] : values) pairs.push_back(json::array({k, v}));
  return json::array({"map", pairs});
}

// The VLAN columns of a Port row for `spec`.
json VlanColumns(const PortSpec& spec) {
  json row = json::object();
  if (spec.trunked) {
    row["vlan_mode"] = "native-untagged";
    row["tag"] = spec.vlan_id == 0 ? json::array({"set", json::array()}) : json(spec.vlan_id);
    row["trunks"] = OvsdbSet(spec.trunks);
  } else {
    row["vlan_mode"] = "access";
    row["tag"] = json(spec.vlan_id);  // 0: untagged frames only
    row["trunks"] = OvsdbSet({});
  }
  return row;
}

json BridgeMustExist(const std::string& bridge) {
  return {{"op", "wait"},
          {"table", "Bridge"},
          {"timeout", 0},
          {"where", json::array({json::array({"name", "==", bridge})})},
          {"columns", {"name"}},
          {"until", "=="},
          {"rows", json::array({{{"name", bridge}}})}};
}

}  // namespace

bool PortMatches(const json& row, const PortSpec& spec) {
  json wanted = VlanColumns(spec);
  wanted["external_ids"] = OvsdbMap(spec.external_ids);
  for (const auto& [column, value] : wanted.items()) {
    if (!row.contains(column) ||
        ovsdb::NormalizeDatum(row.at(column)) != ovsdb::NormalizeDatum(value))
      return false;
  }
  return true;
}

json PlugOperations(const PortSpec& spec) {
  json port = VlanColumns(spec);
  port["name"] = spec.name;
  port["interfaces"] = json::array({"named-uuid", "iface"});
  port["external_ids"] = OvsdbMap(spec.external_ids);
  return json::array({
      BridgeMustExist(spec.bridge),
      {{"op", "insert"},
       {"table", "Interface"},
       {"uuid-name", "iface"},
       {"row", {{"name", spec.name}, {"external_ids", OvsdbMap(spec.external_ids)}}}},
      {{"op", "insert"}, {"table", "Port"}, {"uuid-name", "port"}, {"row", port}},
      {{"op", "mutate"},
       {"table", "Bridge"},
       {"where", json::array({json::array({"name", "==", spec.bridge})})},
       {"mutations",
        json::array({json::array(
            {"ports", "insert",
             json::array({"set", json::array({json::array({"named-uuid", "port"})})})})})}},
  });
}

Status OvsdbPortPlugger::Plug(const PortSpec& spec) {
  HVAGENT_ASSIGN_OR_RETURN(const json found,
                           session_.Transact(json::array(
                               {{{"op", "select"},
                                 {"table", "Port"},
                                 {"where", json::array({json::array({"name", "==", spec.name})})},
                                 {"columns", {"tag", "trunks", "vlan_mode", "external_ids"}}}})));
  const json& rows = found.at(0).at("rows");
  if (!rows.empty()) {
    // A restarted agent re-plugs every port: one that is right is not written
    // at all (no reconfiguration of ovs-vswitchd, no churn on a busy host).
    if (PortMatches(rows.at(0), spec)) return absl::OkStatus();
    // Re-plug of a known port (agent restart, NIC update): one update in place.
    json row = VlanColumns(spec);
    row["external_ids"] = OvsdbMap(spec.external_ids);
    return session_
        .Transact(json::array({BridgeMustExist(spec.bridge),
                               {{"op", "update"},
                                {"table", "Port"},
                                {"where", json::array({json::array({"name", "==", spec.name})})},
                                {"row", row}}}))
        .status();
  }
  Status status = session_.Transact(PlugOperations(spec)).status();
  if (status.code() == absl::StatusCode::kFailedPrecondition &&
      MessageOf(status).find("timed out") != std::string::npos) {
    return absl::FailedPreconditionError(
        fmt::format("bridge '{}' does not exist on this host", spec.bridge));
  }
  return status;
}

Status OvsdbPortPlugger::Unplug(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(
      json found,
      session_.Transact(json::array({{{"op", "select"},
                                      {"table", "Port"},
                                      {"where", json::array({json::array({"name", "==", name})})},
                                      {"columns", {"_uuid"}}}})));
  const json& rows = found.at(0).at("rows");
  if (rows.empty()) return absl::OkStatus();
  const json uuid = rows.at(0).at("_uuid");
  // Removing the reference is enough: OVSDB collects the unreferenced Port
  // and Interface rows.
  return session_
      .Transact(json::array(
          {{{"op", "mutate"},
            {"table", "Bridge"},
            {"where", json::array({json::array({"ports", "includes", uuid})})},
            {"mutations", json::array({json::array(
                              {"ports", "delete", json::array({"set", json::array({uuid})})})})}}}))
      .status();
}

StatusOr<std::vector<OwnedPort>> OvsdbPortPlugger::ListOwned() {
  const json owned = json::array(
      {"external_ids", "includes", json::array({"map", json::array({{"owner", "hvagent"}})})});
  HVAGENT_ASSIGN_OR_RETURN(
      json found, session_.Transact(json::array({{{"op", "select"},
                                                  {"table", "Port"},
                                                  {"where", json::array({owned})},
                                                  {"columns", {"name", "external_ids"}}}})));
  std::vector<OwnedPort> ports;
  for (const json& row : found.at(0).at("rows")) {
    OwnedPort port{.name = row.at("name").get<std::string>(), .external_ids = {}};
    // An OVSDB map is ["map", [[key, value], …]].
    for (const json& pair : row.at("external_ids").at(1)) {
      port.external_ids[pair.at(0).get<std::string>()] = pair.at(1).get<std::string>();
    }
    ports.push_back(std::move(port));
  }
  return ports;
}

}  // namespace hvagent::network
