#include "hvagent/network/bridge_snapshot.h"

#include <algorithm>

namespace hvagent::network {

namespace {

using nlohmann::json;

// RFC 7047 §5.1: a set of at most one element may be sent as the bare atom;
// otherwise it is ["set", [...]].
std::vector<json> SetElements(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set") {
    return value[1].get<std::vector<json>>();
  }
  return {value};
}

std::string UuidOf(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid") return value[1];
  return {};
}

std::vector<std::string> UuidSet(const json& value) {
  std::vector<std::string> out;
  for (const json& e : SetElements(value)) out.push_back(UuidOf(e));
  return out;
}

// An optional string column ([] when empty) or a plain string.
std::string OptionalString(const json& row, const char* column) {
  if (!row.contains(column)) return {};
  for (const json& e : SetElements(row[column])) {
    if (e.is_string()) return e.get<std::string>();
  }
  return {};
}

ExternalIds MapOf(const json& row, const char* column) {
  ExternalIds out;
  if (!row.contains(column)) return out;
  const json& value = row[column];
  if (value.is_array() && value.size() == 2 && value[0] == "map") {
    for (const json& pair : value[1]) out[pair[0].get<std::string>()] = pair[1].get<std::string>();
  }
  return out;
}

std::vector<uint32_t> IntegerSet(const json& row, const char* column) {
  std::vector<uint32_t> out;
  if (!row.contains(column)) return out;
  for (const json& e : SetElements(row[column])) {
    if (e.is_number_integer()) out.push_back(e.get<uint32_t>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

json Select(const char* table, std::initializer_list<const char*> columns) {
  json cols = json::array();
  for (const char* c : columns) cols.push_back(c);
  return {{"op", "select"}, {"table", table}, {"where", json::array()}, {"columns", cols}};
}

}  // namespace

ExternalIds OwnedIds(const std::string& kind, ExternalIds extra) {
  extra[kOwnerKey] = kOwnerValue;
  extra[kKindKey] = kind;
  return extra;
}

bool IsAgentOwned(const ExternalIds& ids) {
  const auto it = ids.find(kOwnerKey);
  return it != ids.end() && it->second == kOwnerValue;
}

json SnapshotOperations() {
  return json::array({
      Select("Bridge", {"_uuid", "name", "datapath_type", "ports", "external_ids"}),
      Select("Port", {"_uuid", "name", "interfaces", "tag", "trunks", "vlan_mode", "bond_mode",
                      "lacp", "bond_active_slave", "other_config", "external_ids"}),
      Select("Interface", {"_uuid", "name", "type", "external_ids", "admin_state", "link_state",
                           "mac_in_use", "lacp_current"}),
  });
}

StatusOr<SwitchSnapshot> ParseSnapshot(const json& results) {
  try {
    SwitchSnapshot snap;
    for (const json& row : results.at(0).at("rows")) {
      snap.bridges.push_back({.uuid = UuidOf(row.at("_uuid")),
                              .name = row.at("name"),
                              .datapath_type = OptionalString(row, "datapath_type"),
                              .ports = UuidSet(row.at("ports")),
                              .external_ids = MapOf(row, "external_ids")});
    }
    std::sort(snap.bridges.begin(), snap.bridges.end(),
              [](const OvsBridgeRow& a, const OvsBridgeRow& b) { return a.name < b.name; });
    for (const json& row : results.at(1).at("rows")) {
      OvsPortRow port{.uuid = UuidOf(row.at("_uuid")),
                      .name = row.at("name"),
                      .interfaces = UuidSet(row.at("interfaces")),
                      .trunks = IntegerSet(row, "trunks"),
                      .vlan_mode = OptionalString(row, "vlan_mode"),
                      .bond_mode = OptionalString(row, "bond_mode"),
                      .lacp = OptionalString(row, "lacp"),
                      .bond_active_slave = OptionalString(row, "bond_active_slave"),
                      .other_config = MapOf(row, "other_config"),
                      .external_ids = MapOf(row, "external_ids")};
      if (const auto tags = IntegerSet(row, "tag"); !tags.empty()) port.tag = tags.front();
      snap.ports[port.uuid] = std::move(port);
    }
    for (const json& row : results.at(2).at("rows")) {
      OvsInterfaceRow iface{.uuid = UuidOf(row.at("_uuid")),
                            .name = row.at("name"),
                            .type = row.at("type"),
                            .external_ids = MapOf(row, "external_ids"),
                            .admin_state = OptionalString(row, "admin_state"),
                            .link_state = OptionalString(row, "link_state"),
                            .mac_in_use = OptionalString(row, "mac_in_use")};
      for (const json& e : SetElements(row.at("lacp_current"))) {
        if (e.is_boolean()) iface.lacp_current = e.get<bool>();
      }
      snap.interfaces[iface.uuid] = std::move(iface);
    }
    return snap;
  } catch (const json::exception& e) {
    return absl::InternalError(fmt::format("unexpected OVSDB answer: {}", e.what()));
  }
}

StatusOr<SwitchSnapshot> ReadSnapshot(ovsdb::Transactor& ovsdb) {
  HVAGENT_ASSIGN_OR_RETURN(const json results, ovsdb.Transact(SnapshotOperations()));
  return ParseSnapshot(results);
}

const OvsBridgeRow* SwitchSnapshot::FindBridge(const std::string& name) const {
  for (const auto& b : bridges) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

const OvsPortRow* SwitchSnapshot::FindPort(const std::string& name) const {
  for (const auto& [uuid, p] : ports) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const OvsInterfaceRow* SwitchSnapshot::FindInterface(const std::string& name) const {
  for (const auto& [uuid, i] : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const OvsBridgeRow* SwitchSnapshot::BridgeOfPort(const std::string& port_uuid) const {
  for (const auto& b : bridges) {
    if (std::find(b.ports.begin(), b.ports.end(), port_uuid) != b.ports.end()) return &b;
  }
  return nullptr;
}

const OvsPortRow* SwitchSnapshot::PortOfInterface(const std::string& iface_uuid) const {
  for (const auto& [uuid, p] : ports) {
    if (std::find(p.interfaces.begin(), p.interfaces.end(), iface_uuid) != p.interfaces.end()) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<std::string> SwitchSnapshot::InterfaceNames(const OvsPortRow& port) const {
  std::vector<std::string> names;
  for (const std::string& uuid : port.interfaces) {
    if (const auto it = interfaces.find(uuid); it != interfaces.end()) {
      names.push_back(it->second.name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

json OvsdbMap(const ExternalIds& values) {
  json pairs = json::array();
  for (const auto& [k, v] : values) pairs.push_back(json::array({k, v}));
  return json::array({"map", pairs});
}

json OvsdbUuid(const std::string& uuid) { return json::array({"uuid", uuid}); }

json OvsdbUuidSet(const std::vector<json>& refs) {
  json items = json::array();
  for (const json& r : refs) items.push_back(r);
  return json::array({"set", items});
}

json WaitRows(const std::string& table, json where, json columns, json rows) {
  return {{"op", "wait"},       {"table", table}, {"timeout", 0}, {"where", where},
          {"columns", columns}, {"until", "=="},  {"rows", rows}};
}

json WaitNameAbsent(const std::string& table, const std::string& name) {
  return WaitRows(table, json::array({json::array({"name", "==", name})}), json::array({"name"}),
                  json::array());
}

}  // namespace hvagent::network
