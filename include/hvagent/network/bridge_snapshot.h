// One consistent view of the switch (Bridge, Port and Interface rows read in one
// transaction), decoded from RFC 7047 values into plain structs, and the
// ownership tags every row the agent creates carries. Bridge and bond managers
// decide from a snapshot, then guard their change with `wait` operations so a
// row that moved since the read fails the transaction instead of being clobbered.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

using ExternalIds = std::map<std::string, std::string>;

// external_ids keys and values of the agent's rows: owner=hvagent marks the row
// as the agent's; kind says what it is (as the other network rows, owned_rows.h).
inline constexpr const char* kOwnerKey = "owner";
inline constexpr const char* kOwnerValue = "hvagent";
inline constexpr const char* kKindKey = "kind";
inline constexpr const char* kKindBridge = "bridge";
inline constexpr const char* kKindBridgeInternalPort = "bridge-internal-port";
inline constexpr const char* kKindBond = "bond";
inline constexpr const char* kKindBondMember = "bond-member";
// What VM NIC ports and their Interfaces carry (daemon/ovs_nic_backend): the
// VM they belong to, the NIC's MAC, and a packet processor's NIC's role
// (kNetworkFunctionNic; one of the three values below).
inline constexpr const char* kVmUuidKey = "vm-uuid";
inline constexpr const char* kAttachedMacKey = "attached-mac";
inline constexpr const char* kNetworkFunctionRoleKey = "hvagent-nf-role";
inline constexpr const char* kNetworkFunctionRoleIngress = "ingress";
inline constexpr const char* kNetworkFunctionRoleEgress = "egress";
inline constexpr const char* kNetworkFunctionRoleTap = "tap";

// The tags of a row the agent creates: owner, kind, and `extra` (e.g. the bridge).
ExternalIds OwnedIds(const std::string& kind, ExternalIds extra = {});
bool IsAgentOwned(const ExternalIds& ids);
// The value at `key` in an OVSDB map column (external_ids, options,
// other_config), "" when the key is absent.
std::string MapValue(const ExternalIds& map, const std::string& key);
// OK when `ids` mark the agent's row; else FAILED_PRECONDITION naming the
// `kind` ("bond") and `name`, and what the agent `only_does` ("changes only
// its own bonds"): the one refusal for rows another tool made.
Status CheckAgentOwned(const ExternalIds& ids, std::string_view kind, const std::string& name,
                       std::string_view only_does);

struct OvsInterfaceRow {
  std::string uuid;
  std::string name;
  std::string type;     // "" (a system device), "internal", "vxlan", "patch", ...
  ExternalIds options;  // e.g. a patch port's peer
  ExternalIds external_ids;
  std::string admin_state;  // "up", "down" or "" before ovs-vswitchd reported
  std::string link_state;
  std::string mac_in_use;
  std::optional<bool> lacp_current;  // unset while LACP does not run
};

struct OvsPortRow {
  std::string uuid;
  std::string name;
  std::vector<std::string> interfaces;  // Interface uuids
  std::optional<uint32_t> tag;
  std::vector<uint32_t> trunks;
  std::string vlan_mode;
  std::string bond_mode;
  std::string lacp;
  std::string bond_active_slave;  // the active member's MAC, as ovs-vswitchd reports it
  ExternalIds other_config;
  ExternalIds external_ids;
};

struct OvsBridgeRow {
  std::string uuid;
  std::string name;
  std::string datapath_type;
  std::vector<std::string> ports;  // Port uuids
  ExternalIds external_ids;
};

struct SwitchSnapshot {
  std::vector<OvsBridgeRow> bridges;                  // sorted by name
  std::map<std::string, OvsPortRow> ports;            // by uuid
  std::map<std::string, OvsInterfaceRow> interfaces;  // by uuid

  const OvsBridgeRow* FindBridge(const std::string& name) const;
  const OvsPortRow* FindPort(const std::string& name) const;
  const OvsInterfaceRow* FindInterface(const std::string& name) const;
  // The bridge holding port `port_uuid`, the port holding interface `iface_uuid`.
  const OvsBridgeRow* BridgeOfPort(const std::string& port_uuid) const;
  const OvsPortRow* PortOfInterface(const std::string& iface_uuid) const;
  // Interface names of `port`, sorted.
  std::vector<std::string> InterfaceNames(const OvsPortRow& port) const;
};

// The three selects of a snapshot, and their results decoded (pure).
nlohmann::json SnapshotOperations();
StatusOr<SwitchSnapshot> ParseSnapshot(const nlohmann::json& results);
// From the monitor's cache when the transactor has a current one, else by
// running SnapshotOperations in one transaction.
StatusOr<SwitchSnapshot> ReadSnapshot(ovsdb::Transactor& ovsdb);

}  // namespace hvagent::network
