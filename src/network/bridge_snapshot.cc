#include "hvagent/network/bridge_snapshot.h"

#include <algorithm>

#include "hvagent/ovsdb/cache.h"
#include "hvagent/ovsdb/datum.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

// A column of a select result row; null when the row lacks it.
json Column(const json& row, const char* column) { return row.value(column, json()); }

std::vector<uint32_t> IntegerSet(const json& row, const char* column) {
  std::vector<uint32_t> out;
  for (const json& e : ovsdb::SetElements(Column(row, column))) {
    if (e.is_number_integer()) out.push_back(e.get<uint32_t>());
  }
  std::sort(out.begin(), out.end());
  return out;
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

std::string MapValue(const ExternalIds& map, const std::string& key) {
  const auto it = map.find(key);
  return it == map.end() ? std::string() : it->second;
}

Status CheckAgentOwned(const ExternalIds& ids, std::string_view kind, const std::string& name,
                       std::string_view only_does) {
  if (IsAgentOwned(ids)) return absl::OkStatus();
  return absl::FailedPreconditionError(fmt::format(
      "name: {} '{}' was not created by hvagent (no external_ids:owner=hvagent); the agent {}",
      kind, name, only_does));
}

json SnapshotOperations() {
  return json::array({
      ovsdb::Select("Bridge", json::array(),
                    {"_uuid", "name", "datapath_type", "ports", "external_ids"}),
      ovsdb::Select("Port", json::array(),
                    {"_uuid", "name", "interfaces", "tag", "trunks", "vlan_mode", "bond_mode",
                     "lacp", "bond_active_slave", "other_config", "external_ids"}),
      ovsdb::Select("Interface", json::array(),
                    {"_uuid", "name", "type", "options", "external_ids", "admin_state",
                     "link_state", "mac_in_use", "lacp_current"}),
  });
}

namespace {

// One row of each table into `snap`, from a select's result or the monitor's
// cache alike (the same RFC 7047 notation; `uuid` is the row's).
void AddBridge(SwitchSnapshot& snap, const std::string& uuid, const json& row) {
  snap.bridges.push_back({.uuid = uuid,
                          .name = row.at("name"),
                          .datapath_type = ovsdb::StringOf(Column(row, "datapath_type")),
                          .ports = ovsdb::UuidsOf(row.at("ports")),
                          .external_ids = ovsdb::MapOf(Column(row, "external_ids"))});
}

void AddPort(SwitchSnapshot& snap, const std::string& uuid, const json& row) {
  OvsPortRow port{.uuid = uuid,
                  .name = row.at("name"),
                  .interfaces = ovsdb::UuidsOf(row.at("interfaces")),
                  .trunks = IntegerSet(row, "trunks"),
                  .vlan_mode = ovsdb::StringOf(Column(row, "vlan_mode")),
                  .bond_mode = ovsdb::StringOf(Column(row, "bond_mode")),
                  .lacp = ovsdb::StringOf(Column(row, "lacp")),
                  .bond_active_slave = ovsdb::StringOf(Column(row, "bond_active_slave")),
                  .other_config = ovsdb::MapOf(Column(row, "other_config")),
                  .external_ids = ovsdb::MapOf(Column(row, "external_ids"))};
  if (const auto tags = IntegerSet(row, "tag"); !tags.empty()) port.tag = tags.front();
  snap.ports[uuid] = std::move(port);
}

void AddInterface(SwitchSnapshot& snap, const std::string& uuid, const json& row) {
  OvsInterfaceRow iface{.uuid = uuid,
                        .name = row.at("name"),
                        .type = row.at("type"),
                        .options = ovsdb::MapOf(Column(row, "options")),
                        .external_ids = ovsdb::MapOf(Column(row, "external_ids")),
                        .admin_state = ovsdb::StringOf(Column(row, "admin_state")),
                        .link_state = ovsdb::StringOf(Column(row, "link_state")),
                        .mac_in_use = ovsdb::StringOf(Column(row, "mac_in_use"))};
  for (const json& e : ovsdb::SetElements(row.at("lacp_current"))) {
    if (e.is_boolean()) iface.lacp_current = e.get<bool>();
  }
  snap.interfaces[uuid] = std::move(iface);
}

void SortBridges(SwitchSnapshot& snap) {
  std::sort(snap.bridges.begin(), snap.bridges.end(),
            [](const OvsBridgeRow& a, const OvsBridgeRow& b) { return a.name < b.name; });
}

StatusOr<SwitchSnapshot> SnapshotOf(const ovsdb::Cache& cache) {
  try {
    SwitchSnapshot snap;
    for (const auto& [uuid, row] : cache.table("Bridge")) AddBridge(snap, uuid, row);
    SortBridges(snap);
    for (const auto& [uuid, row] : cache.table("Port")) AddPort(snap, uuid, row);
    for (const auto& [uuid, row] : cache.table("Interface")) AddInterface(snap, uuid, row);
    return snap;
  } catch (const json::exception& e) {
    return absl::InternalError(fmt::format("unexpected row in the OVSDB cache: {}", e.what()));
  }
}

}  // namespace

StatusOr<SwitchSnapshot> ParseSnapshot(const json& results) {
  try {
    SwitchSnapshot snap;
    for (const json& row : results.at(0).at("rows")) {
      AddBridge(snap, ovsdb::UuidOf(row.at("_uuid")), row);
    }
    SortBridges(snap);
    for (const json& row : results.at(1).at("rows")) {
      AddPort(snap, ovsdb::UuidOf(row.at("_uuid")), row);
    }
    for (const json& row : results.at(2).at("rows")) {
      AddInterface(snap, ovsdb::UuidOf(row.at("_uuid")), row);
    }
    return snap;
  } catch (const json::exception& e) {
    return absl::InternalError(fmt::format("unexpected OVSDB answer: {}", e.what()));
  }
}

StatusOr<SwitchSnapshot> ReadSnapshot(ovsdb::Transactor& ovsdb) {
  // The monitor's copy while it is current: the select of every Bridge, Port
  // and Interface row is megabytes of JSON on a full host, parsed and split
  // on each bridge pass (which any port deletion by another client causes).
  // The agent's own writes are in it when their transaction returns: the
  // server sends a transaction's updates before its reply.
  StatusOr<SwitchSnapshot> cached = absl::UnavailableError("no OVSDB cache");
  if (ovsdb.ReadCache([&](const ovsdb::Cache& cache) { cached = SnapshotOf(cache); })) {
    return cached;
  }
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

}  // namespace hvagent::network
