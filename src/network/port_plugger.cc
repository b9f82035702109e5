#include "hvagent/network/port_plugger.h"

#include "hvagent/ovsdb/cache.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"
#include "owned_rows.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

// OpenStack's dead VLAN: no network uses it.
constexpr uint32_t kDeadVlan = 4095;

// The VLAN columns of a Port row for `spec`.
json VlanColumns(const PortSpec& spec) {
  json row = json::object();
  row["protected"] = spec.isolated;
  if (spec.isolated) {
    row["vlan_mode"] = "access";
    row["tag"] = json(kDeadVlan);
    row["trunks"] = ovsdb::IntSet({});
  } else if (spec.trunked) {
    row["vlan_mode"] = "native-untagged";
    row["tag"] = spec.vlan_id == 0 ? ovsdb::EmptySet() : json(spec.vlan_id);
    row["trunks"] = ovsdb::IntSet(spec.trunks);
  } else {
    row["vlan_mode"] = "access";
    row["tag"] = json(spec.vlan_id);  // 0: untagged frames only
    row["trunks"] = ovsdb::IntSet({});
  }
  return row;
}

}  // namespace

bool PortMatches(const json& row, const PortSpec& spec) {
  json wanted = VlanColumns(spec);
  wanted["external_ids"] = ovsdb::Map(spec.external_ids);
  for (const auto& [column, value] : wanted.items()) {
    if (!row.contains(column) ||
        ovsdb::NormalizeDatum(row.at(column)) != ovsdb::NormalizeDatum(value))
      return false;
  }
  return true;
}

json PlugOperations(const PortSpec& spec) {
  return rows::AddPortOperations(spec.bridge, spec.name, json::object(), VlanColumns(spec),
                                 spec.external_ids);
}

json RePlugOperations(const PortSpec& spec, const std::string& port_uuid,
                      const std::string& current_bridge) {
  json row = VlanColumns(spec);
  row["external_ids"] = ovsdb::Map(spec.external_ids);
  json ops = json::array(
      {ovsdb::WaitNamePresent("Bridge", spec.bridge),
       {{"op", "update"}, {"table", "Port"}, {"where", ovsdb::WhereUuid(port_uuid)}, {"row", row}},
       {{"op", "update"},
        {"table", "Interface"},
        {"where", ovsdb::WhereEq("name", spec.name)},
        {"row", {{"external_ids", ovsdb::Map(spec.external_ids)}}}}});
  if (current_bridge != spec.bridge) {
    // Out of the old bridge and into the new one in one transaction: the
    // Port row stays referenced, so OVSDB keeps it, and ovs-vswitchd moves
    // the port in one reconfiguration.
    if (!current_bridge.empty()) ops.push_back(rows::RemoveFromBridges("ports", port_uuid));
    ops.push_back(rows::AddToBridge(spec.bridge, "ports", ovsdb::Uuid(port_uuid)));
  }
  return ops;
}

Status OvsdbPortPlugger::Plug(const PortSpec& spec) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json found,
      ovsdb_.Transact(json::array(
          {ovsdb::Select("Port", ovsdb::WhereEq("name", spec.name),
                         {"_uuid", "tag", "trunks", "vlan_mode", "protected", "external_ids"}),
           ovsdb::Select("Interface", ovsdb::WhereEq("name", spec.name), {"external_ids"}),
           ovsdb::Select("Bridge", json::array(), {"name", "ports"})})));
  const json& rows = found.at(0).at("rows");
  Status status;
  if (!rows.empty()) {
    const std::string uuid = ovsdb::UuidOf(rows.at(0).at("_uuid"));
    std::string bridge;
    for (const json& row : found.at(2).at("rows")) {
      for (const json& port : ovsdb::SetElements(row.at("ports"))) {
        if (ovsdb::UuidOf(port) == uuid) bridge = row.at("name").get<std::string>();
      }
    }
    const json& ifaces = found.at(1).at("rows");
    const bool iface_tagged =
        !ifaces.empty() && ovsdb::MapOf(ifaces.at(0).at("external_ids")) == spec.external_ids;
    // A restarted agent re-plugs every port: one that is right is not written
    // at all (no reconfiguration of ovs-vswitchd, no churn on a busy host).
    if (bridge == spec.bridge && iface_tagged && PortMatches(rows.at(0), spec)) {
      return absl::OkStatus();
    }
    // Re-plug of a known port (agent restart, NIC update, a port of the old
    // layout on br0): one update, and a move, in place.
    status = ovsdb_.Transact(RePlugOperations(spec, uuid, bridge)).status();
  } else {
    status = ovsdb_.Transact(PlugOperations(spec)).status();
  }
  // The transaction's one `wait` (the bridge exists) did not hold.
  if (ovsdb::HasErrorTag(status, ovsdb::error_tag::kTimedOut)) {
    return absl::FailedPreconditionError(
        fmt::format("bridge '{}' does not exist on this host", spec.bridge));
  }
  return status;
}

Status OvsdbPortPlugger::Unplug(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(json found, ovsdb_.Transact(json::array({ovsdb::Select(
                                           "Port", ovsdb::WhereEq("name", name), {"_uuid"})})));
  const json& ports = found.at(0).at("rows");
  if (ports.empty()) return absl::OkStatus();
  // Removing the reference is enough: OVSDB collects the unreferenced Port
  // and Interface rows.
  return ovsdb_
      .Transact(
          json::array({rows::RemoveFromBridges("ports", ovsdb::UuidOf(ports.at(0).at("_uuid")))}))
      .status();
}

StatusOr<std::vector<OwnedPort>> OvsdbPortPlugger::ListOwned() {
  // From the monitor's cache when it is synced: a select of every owned Port
  // is a reply of megabytes on a full host, on each reconcile. A port the
  // cache has not heard of yet is not a leftover anyway.
  std::vector<OwnedPort> cached;
  const bool from_cache = ovsdb_.ReadCache([&](const ovsdb::Cache& cache) {
    for (const auto& [uuid, row] : cache.table("Port")) {
      const auto ids = row.find("external_ids");
      if (ids == row.end()) continue;
      std::map<std::string, std::string> external_ids = ovsdb::MapOf(*ids);
      const auto owner = external_ids.find("owner");
      if (owner == external_ids.end() || owner->second != rows::kOwner) continue;
      cached.push_back(
          {.name = row.at("name").get<std::string>(), .external_ids = std::move(external_ids)});
    }
  });
  if (from_cache) return cached;
  const json owned =
      json::array({"external_ids", "includes", ovsdb::Map({{"owner", rows::kOwner}})});
  HVAGENT_ASSIGN_OR_RETURN(
      json found, ovsdb_.Transact(json::array(
                      {ovsdb::Select("Port", json::array({owned}), {"name", "external_ids"})})));
  std::vector<OwnedPort> ports;
  for (const json& row : found.at(0).at("rows")) {
    ports.push_back({.name = row.at("name").get<std::string>(),
                     .external_ids = ovsdb::MapOf(row.at("external_ids"))});
  }
  return ports;
}

}  // namespace hvagent::network
