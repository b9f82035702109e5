#include "hvagent/network/bridge_manager.h"

#include <algorithm>

#include <fmt/ranges.h>

#include "hvagent/common/interface_link.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

bool IsVmNic(const OvsPortRow& port) { return port.external_ids.contains(kVmUuidKey); }

}  // namespace

Status ValidateDatapathType(const std::string& field, const std::string& value) {
  if (value == "system" || value == "netdev") return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "{}: must be 'system' (kernel datapath) or 'netdev' (userspace), not '{}'", field, value));
}

json CreateBridgeOperations(const std::string& name, const std::string& datapath_type,
                            const std::string& uuid_tag) {
  const std::string iface = "iface" + uuid_tag;
  const std::string port = "port" + uuid_tag;
  const std::string bridge = "bridge" + uuid_tag;
  // The internal port is the host's interface on the bridge; it shares the name.
  const ExternalIds port_ids = OwnedIds(kKindBridgeInternalPort, {{"bridge", name}});
  return json::array({
      ovsdb::WaitNameAbsent("Bridge", name),
      ovsdb::WaitNameAbsent("Port", name),
      ovsdb::WaitNameAbsent("Interface", name),
      {{"op", "insert"},
       {"table", "Interface"},
       {"uuid-name", iface},
       {"row", {{"name", name}, {"type", "internal"}, {"external_ids", ovsdb::Map(port_ids)}}}},
      {{"op", "insert"},
       {"table", "Port"},
       {"uuid-name", port},
       {"row",
        {{"name", name},
         {"interfaces", ovsdb::NamedUuid(iface)},
         {"external_ids", ovsdb::Map(port_ids)}}}},
      {{"op", "insert"},
       {"table", "Bridge"},
       {"uuid-name", bridge},
       {"row",
        {{"name", name},
         {"datapath_type", datapath_type},
         {"ports", ovsdb::Set({ovsdb::NamedUuid(port)})},
         {"external_ids", ovsdb::Map(OwnedIds(kKindBridge))}}}},
      {{"op", "mutate"},
       {"table", "Open_vSwitch"},
       {"where", json::array()},
       {"mutations",
        json::array({json::array({"bridges", "insert", ovsdb::Set({ovsdb::NamedUuid(bridge)})})})}},
  });
}

json DeleteBridgeOperations(const OvsBridgeRow& bridge) {
  return json::array({
      // Nothing plugged in since the checks were made on what was read.
      ovsdb::WaitRows("Bridge", ovsdb::WhereUuid(bridge.uuid), json::array({"ports"}),
                      json::array({{{"ports", ovsdb::UuidSet(bridge.ports)}}})),
      {{"op", "mutate"},
       {"table", "Open_vSwitch"},
       {"where", json::array()},
       {"mutations",
        json::array({json::array({"bridges", "delete", ovsdb::UuidSet({bridge.uuid})})})}},
  });
}

BridgePortInfo DescribePort(const SwitchSnapshot& snap, const OvsPortRow& port) {
  BridgePortInfo info{.name = port.name,
                      .tag = port.tag.value_or(0),
                      .trunks = port.trunks,
                      .agent_owned = IsAgentOwned(port.external_ids)};
  std::string type;
  if (port.interfaces.size() == 1) {
    if (const auto it = snap.interfaces.find(port.interfaces.front());
        it != snap.interfaces.end()) {
      type = it->second.type;
    }
  }
  if (port.interfaces.size() > 1 || !port.bond_mode.empty()) {
    info.kind = PortKind::kBond;
  } else if (type == "internal") {
    info.kind = PortKind::kInternal;
  } else if (type == "vxlan") {
    info.kind = PortKind::kVxlan;
  } else if (type == "patch") {
    info.kind = PortKind::kPatch;
  } else if (type == "tap" || IsVmNic(port)) {
    info.kind = PortKind::kTap;
  }
  return info;
}

BridgeInfo DescribeBridge(const SwitchSnapshot& snap, const OvsBridgeRow& bridge) {
  BridgeInfo info{.name = bridge.name,
                  .datapath_type = bridge.datapath_type.empty() ? "system" : bridge.datapath_type,
                  .agent_owned = IsAgentOwned(bridge.external_ids)};
  for (const std::string& uuid : bridge.ports) {
    if (const auto it = snap.ports.find(uuid); it != snap.ports.end()) {
      info.ports.push_back(DescribePort(snap, it->second));
    }
  }
  std::sort(info.ports.begin(), info.ports.end(),
            [](const BridgePortInfo& a, const BridgePortInfo& b) { return a.name < b.name; });
  return info;
}

StatusOr<BridgeInfo> BridgeManager::Create(const std::string& name,
                                           const std::string& datapath_type) {
  const std::string type = datapath_type.empty() ? default_datapath_type_ : datapath_type;
  HVAGENT_RETURN_IF_ERROR(ValidateDatapathType("datapath_type", type));
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  if (snap.FindBridge(name) != nullptr) {
    return absl::AlreadyExistsError(fmt::format("name: bridge '{}' already exists", name));
  }
  if (snap.FindPort(name) != nullptr || snap.FindInterface(name) != nullptr) {
    return absl::AlreadyExistsError(fmt::format(
        "name: '{}' is already a port or interface on this host's switch; a bridge needs its "
        "name for its internal port",
        name));
  }
  HVAGENT_RETURN_IF_ERROR(CheckHostInterfaceFree("name", name));
  HVAGENT_ASSIGN_OR_RETURN(const nlohmann::json results,
                           ovsdb_.Transact(CreateBridgeOperations(name, type)));
  // Without the root row nothing references the new bridge and OVSDB drops it
  // at commit: a database nobody initialised (ovs-vsctl init, ovs-ctl start).
  if (results.size() < 7 || results[6].value("count", 0) != 1) {
    return absl::FailedPreconditionError(fmt::format(
        "bridge '{}' not created: the OVSDB has no Open_vSwitch row (not initialised)", name));
  }
  return Get(name);
}

StatusOr<BridgeInfo> BridgeManager::Get(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  const OvsBridgeRow* bridge = snap.FindBridge(name);
  if (bridge == nullptr) {
    return absl::NotFoundError(fmt::format("bridge '{}' does not exist", name));
  }
  return DescribeBridge(snap, *bridge);
}

StatusOr<std::vector<BridgeInfo>> BridgeManager::List() {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  std::vector<BridgeInfo> out;
  for (const OvsBridgeRow& bridge : snap.bridges) out.push_back(DescribeBridge(snap, bridge));
  return out;
}

Status BridgeManager::Delete(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  const OvsBridgeRow* bridge = snap.FindBridge(name);
  if (bridge == nullptr) {
    return absl::NotFoundError(fmt::format("bridge '{}' does not exist", name));
  }
  HVAGENT_RETURN_IF_ERROR(
      CheckAgentOwned(bridge->external_ids, "bridge", name, "deletes only its own bridges"));
  std::vector<std::string> vm_nics;
  std::vector<std::string> foreign;
  for (const std::string& uuid : bridge->ports) {
    const auto it = snap.ports.find(uuid);
    if (it == snap.ports.end()) continue;
    if (IsVmNic(it->second)) {
      vm_nics.push_back(it->second.name);
    } else if (!IsAgentOwned(it->second.external_ids)) {
      foreign.push_back(it->second.name);
    }
  }
  if (!vm_nics.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("name: bridge '{}' still carries VM NIC ports ({}); unplug them first", name,
                    fmt::join(vm_nics, ", ")));
  }
  if (!foreign.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("name: bridge '{}' carries ports hvagent does not own ({}); remove them first",
                    name, fmt::join(foreign, ", ")));
  }
  Status deleted = ovsdb_.Transact(DeleteBridgeOperations(*bridge)).status();
  // The guard `wait` (the bridge's ports are still those read) did not hold.
  if (ovsdb::HasErrorTag(deleted, ovsdb::error_tag::kTimedOut)) {
    return absl::AbortedError(
        fmt::format("bridge '{}' changed while it was being deleted; nothing was deleted", name));
  }
  return deleted;
}

StatusOr<bool> BridgeManager::Exists(const std::string& name) {
  return ovsdb_.RowExists("Bridge", "name", name);
}

StatusOr<bool> BridgeManager::Ensure(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const bool exists, Exists(name));
  if (exists) return false;
  auto created = Create(name);
  // Someone else made it between the check and the create: it exists, fine.
  if (created.status().code() == absl::StatusCode::kAlreadyExists) return false;
  HVAGENT_RETURN_IF_ERROR(created.status());
  return true;
}

}  // namespace hvagent::network
