#include "hvagent/network/bridge_chain.h"

#include <algorithm>

#include "hvagent/network/bridge_manager.h"
#include "hvagent/ovsdb/datum.h"
#include "owned_rows.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

ExternalIds PatchPortIds(const ChainPatchPort& patch) {
  return OwnedIds(kKindPatchPort, {{"bridge", patch.bridge}, {"peer", patch.peer}});
}

// Whether `port` already is `patch`: on its bridge, one patch interface
// peered right, a trunk of every VLAN, tagged as the agent's.
bool PatchPortIsRight(const SwitchSnapshot& snap, const OvsPortRow& port,
                      const ChainPatchPort& patch) {
  const OvsBridgeRow* bridge = snap.BridgeOfPort(port.uuid);
  if (bridge == nullptr || bridge->name != patch.bridge) return false;
  if (port.tag || !port.trunks.empty() || !port.vlan_mode.empty()) return false;
  if (port.external_ids != PatchPortIds(patch)) return false;
  if (port.interfaces.size() != 1) return false;
  const auto iface = snap.interfaces.find(port.interfaces.front());
  return iface != snap.interfaces.end() && iface->second.name == patch.port &&
         iface->second.type == "patch" &&
         iface->second.options == ExternalIds{{"peer", patch.peer}} &&
         iface->second.external_ids == PatchPortIds(patch);
}

json InterfaceRow(const ChainPatchPort& patch) {
  return {{"type", "patch"},
          {"options", ovsdb::Map({{"peer", patch.peer}})},
          {"external_ids", ovsdb::Map(PatchPortIds(patch))}};
}

// A new patch port: its Interface and Port rows and the bridge's reference.
// The bridge may be one inserted earlier in the same transaction: operations
// see the effects of those before them.
void AddPatchPort(const ChainPatchPort& patch, const std::string& uuid_tag, json& ops) {
  const std::string iface = "patch_iface" + uuid_tag;
  const std::string port = "patch_port" + uuid_tag;
  json iface_row = InterfaceRow(patch);
  iface_row["name"] = patch.port;
  ops.push_back(
      {{"op", "insert"}, {"table", "Interface"}, {"uuid-name", iface}, {"row", iface_row}});
  ops.push_back({{"op", "insert"},
                 {"table", "Port"},
                 {"uuid-name", port},
                 {"row",
                  {{"name", patch.port},
                   {"interfaces", ovsdb::NamedUuid(iface)},
                   {"external_ids", ovsdb::Map(PatchPortIds(patch))}}}});
  ops.push_back(rows::AddToBridge(patch.bridge, "ports", ovsdb::NamedUuid(port)));
}

// An existing port of the patch port's name made right in place: re-typed,
// re-peered, its VLAN columns cleared and, if it is on another bridge, moved.
void FixPatchPort(const SwitchSnapshot& snap, const OvsPortRow& port, const ChainPatchPort& patch,
                  json& ops) {
  ops.push_back({{"op", "update"},
                 {"table", "Interface"},
                 {"where", ovsdb::WhereEq("name", patch.port)},
                 {"row", InterfaceRow(patch)}});
  ops.push_back({{"op", "update"},
                 {"table", "Port"},
                 {"where", ovsdb::WhereUuid(port.uuid)},
                 {"row",
                  {{"tag", ovsdb::EmptySet()},
                   {"trunks", ovsdb::EmptySet()},
                   {"vlan_mode", ovsdb::EmptySet()},
                   {"external_ids", ovsdb::Map(PatchPortIds(patch))}}}});
  const OvsBridgeRow* bridge = snap.BridgeOfPort(port.uuid);
  if (bridge == nullptr || bridge->name != patch.bridge) {
    if (bridge != nullptr) ops.push_back(rows::RemoveFromBridges("ports", port.uuid));
    ops.push_back(rows::AddToBridge(patch.bridge, "ports", ovsdb::Uuid(port.uuid)));
  }
}

}  // namespace

std::vector<std::string> ChainBridgeNames() {
  return {kLocalBridgeName, kMicrosegBridgeName, kNetworkFunctionBridgeName};
}

std::vector<ChainPatchPort> ChainPatchPorts() {
  return {
      {kLocalBridgeName, kLocalToMicrosegPort, kMicrosegToLocalPort},
      {kMicrosegBridgeName, kMicrosegToLocalPort, kLocalToMicrosegPort},
      {kMicrosegBridgeName, kMicrosegToNfPort, kNfToMicrosegPort},
      {kNetworkFunctionBridgeName, kNfToMicrosegPort, kMicrosegToNfPort},
      {kNetworkFunctionBridgeName, kNfToBr0Port, kBr0ToNfPort},
      {kDefaultBridgeName, kBr0ToNfPort, kNfToBr0Port},
  };
}

bool IsChainBridge(const std::string& bridge) {
  const std::vector<std::string> names = ChainBridgeNames();
  return std::find(names.begin(), names.end(), bridge) != names.end();
}

std::string VmPortBridge(NicType type, const std::string& network_bridge) {
  switch (type) {
    case NicType::kNetworkFunction: return kNetworkFunctionBridgeName;
    case NicType::kDirect: return network_bridge;
    case NicType::kNormal: break;
  }
  return network_bridge == kDefaultBridgeName ? kLocalBridgeName : network_bridge;
}

std::string NetworkFunctionRoleValue(NetworkFunctionRole role) {
  switch (role) {
    case NetworkFunctionRole::kIngress: return kNetworkFunctionRoleIngress;
    case NetworkFunctionRole::kEgress: return kNetworkFunctionRoleEgress;
    case NetworkFunctionRole::kTap: return kNetworkFunctionRoleTap;
    case NetworkFunctionRole::kNone: break;
  }
  return "";
}

StatusOr<json> BridgeChainOperations(const SwitchSnapshot& snap) {
  const OvsBridgeRow* uplink = snap.FindBridge(kDefaultBridgeName);
  if (uplink == nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("bridge '{}' does not exist: the bridge chain ends on it", kDefaultBridgeName));
  }
  // Patch ports link bridges of one datapath only: the chain takes br0's.
  const std::string& datapath_type = uplink->datapath_type;
  json ops = json::array();
  int made = 0;
  for (const std::string& name : ChainBridgeNames()) {
    const OvsBridgeRow* bridge = snap.FindBridge(name);
    if (bridge == nullptr) {
      for (json& op : CreateBridgeOperations(name, datapath_type, "_" + std::to_string(made++)))
        ops.push_back(std::move(op));
    } else if (bridge->datapath_type != datapath_type) {
      ops.push_back({{"op", "update"},
                     {"table", "Bridge"},
                     {"where", ovsdb::WhereUuid(bridge->uuid)},
                     {"row", {{"datapath_type", datapath_type}}}});
    }
  }
  int patched = 0;
  for (const ChainPatchPort& patch : ChainPatchPorts()) {
    const OvsPortRow* port = snap.FindPort(patch.port);
    if (port == nullptr) {
      AddPatchPort(patch, "_" + std::to_string(patched++), ops);
    } else if (!PatchPortIsRight(snap, *port, patch)) {
      FixPatchPort(snap, *port, patch, ops);
    }
  }
  return ops;
}

StatusOr<bool> BridgeChain::Ensure() {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  HVAGENT_ASSIGN_OR_RETURN(const json ops, BridgeChainOperations(snap));
  if (ops.empty()) return false;
  HVAGENT_RETURN_IF_ERROR(ovsdb_.Transact(ops).status());
  return true;
}

}  // namespace hvagent::network
