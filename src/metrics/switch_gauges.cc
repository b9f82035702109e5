#include "hvagent/metrics/switch_gauges.h"

#include <map>
#include <string>
#include <vector>

#include "hvagent/ovsdb/datum.h"

namespace hvagent::metrics {

namespace {

using nlohmann::json;

// A string column of a result row: "" when it is absent or an empty set.
std::string OptionalString(const json& row, const char* column) {
  return ovsdb::StringOf(row.value(column, json()));
}

StatusOr<const json*> RowsOf(const json& results, size_t index, const char* table) {
  if (!results.is_array() || results.size() <= index || !results[index].is_object() ||
      !results[index].contains("rows") || !results[index]["rows"].is_array()) {
    return absl::InternalError(fmt::format("OVSDB reply has no rows for {}", table));
  }
  return &results[index]["rows"];
}

}  // namespace

json SwitchQuery() {
  return json::array({
      ovsdb::Select("Bridge", json::array(), {"name", "ports"}),
      ovsdb::Select("Port", json::array(), {"_uuid", "name", "interfaces", "bond_active_slave"}),
      ovsdb::Select("Interface", json::array(), {"_uuid", "name", "link_state", "mac_in_use"}),
  });
}

StatusOr<std::vector<GaugeFamily>> SwitchGauges(const json& results) {
  HVAGENT_ASSIGN_OR_RETURN(const json* bridges, RowsOf(results, 0, "Bridge"));
  HVAGENT_ASSIGN_OR_RETURN(const json* ports, RowsOf(results, 1, "Port"));
  HVAGENT_ASSIGN_OR_RETURN(const json* interfaces, RowsOf(results, 2, "Interface"));

  struct Interface {
    std::string name;
    std::string link_state;
    std::string mac;
  };
  std::map<std::string, Interface> interface_by_uuid;
  for (const json& row : *interfaces) {
    interface_by_uuid[ovsdb::UuidOf(row.value("_uuid", json()))] = {
        OptionalString(row, "name"), OptionalString(row, "link_state"),
        OptionalString(row, "mac_in_use")};
  }

  GaugeFamily port_count{.name = "hvagent_ovs_ports",
                         .help =
                             "Ports on each Open vSwitch bridge (all of them, not only the "
                             "agent's).",
                         .samples = {}};
  std::map<std::string, std::string> bridge_of_port;  // port uuid -> bridge name
  for (const json& row : *bridges) {
    const std::string bridge = OptionalString(row, "name");
    double count = 0;
    for (const json& port : ovsdb::SetElements(row.value("ports", ovsdb::EmptySet()))) {
      const std::string uuid = ovsdb::UuidOf(port);
      if (uuid.empty()) continue;
      bridge_of_port[uuid] = bridge;
      ++count;
    }
    port_count.samples.push_back({.labels = {{"bridge", bridge}}, .value = count});
  }

  GaugeFamily member_up{
      .name = "hvagent_bond_member_up",
      .help = "1 while a bond member's link is up (Interface.link_state), else 0.",
      .samples = {}};
  GaugeFamily member_active{
      .name = "hvagent_bond_member_active",
      .help = "1 for the bond member that carries the traffic (active-backup), else 0.",
      .samples = {}};
  for (const json& row : *ports) {
    const std::vector<json> members = ovsdb::SetElements(row.value("interfaces", json()));
    if (members.size() < 2) continue;  // a bond is a port with two or more interfaces
    const std::string bond = OptionalString(row, "name");
    const std::string active_mac = OptionalString(row, "bond_active_slave");
    const auto bridge = bridge_of_port.find(ovsdb::UuidOf(row.value("_uuid", json())));
    const std::string bridge_name = bridge != bridge_of_port.end() ? bridge->second : "";
    for (const json& member : members) {
      const auto it = interface_by_uuid.find(ovsdb::UuidOf(member));
      if (it == interface_by_uuid.end()) continue;
      const Interface& iface = it->second;
      const std::map<std::string, std::string> labels{
          {"bridge", bridge_name}, {"bond", bond}, {"member", iface.name}};
      member_up.samples.push_back(
          {.labels = labels, .value = iface.link_state == "up" ? 1.0 : 0.0});
      member_active.samples.push_back(
          {.labels = labels, .value = !active_mac.empty() && iface.mac == active_mac ? 1.0 : 0.0});
    }
  }
  return std::vector<GaugeFamily>{std::move(port_count), std::move(member_up),
                                  std::move(member_active)};
}

GaugeSource SwitchGaugeSource(ovsdb::Transactor& ovsdb) {
  return [&ovsdb]() -> StatusOr<std::vector<GaugeFamily>> {
    HVAGENT_ASSIGN_OR_RETURN(json results, ovsdb.Transact(SwitchQuery()));
    return SwitchGauges(results);
  };
}

}  // namespace hvagent::metrics
