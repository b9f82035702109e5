#include "hvagent/network/port_plugger.h"

#include "hvagent/ovsdb/cache.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"
#include "owned_rows.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

// The VLAN columns of a Port row for `spec`.
json VlanColumns(const PortSpec& spec) {
  json row = json::object();
  if (spec.trunked) {
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

Status OvsdbPortPlugger::Plug(const PortSpec& spec) {
  HVAGENT_ASSIGN_OR_RETURN(const json found,
                           ovsdb_.Transact(json::array(
                               {ovsdb::Select("Port", ovsdb::WhereEq("name", spec.name),
                                              {"tag", "trunks", "vlan_mode", "external_ids"})})));
  const json& rows = found.at(0).at("rows");
  if (!rows.empty()) {
    // A restarted agent re-plugs every port: one that is right is not written
    // at all (no reconfiguration of ovs-vswitchd, no churn on a busy host).
    if (PortMatches(rows.at(0), spec)) return absl::OkStatus();
    // Re-plug of a known port (agent restart, NIC update): one update in place.
    json row = VlanColumns(spec);
    row["external_ids"] = ovsdb::Map(spec.external_ids);
    return ovsdb_
        .Transact(json::array({ovsdb::WaitNamePresent("Bridge", spec.bridge),
                               {{"op", "update"},
                                {"table", "Port"},
                                {"where", ovsdb::WhereEq("name", spec.name)},
                                {"row", row}}}))
        .status();
  }
  Status status = ovsdb_.Transact(PlugOperations(spec)).status();
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
  const json owned = json::array({"external_ids", "includes", ovsdb::Map({{"owner", "hvagent"}})});
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
