// The bridge chain, as on AHV: ordinary VM NICs are taps on a local bridge
// (br0.local) that reaches the uplink bridge br0 only through
//
//   br0.local --patch-- br.microseg --patch-- br.nf --patch-- br0 (br0-up bond)
//
// br.microseg is where microsegmentation rules will go; br.nf is the
// network-function bridge where service chains steer traffic through packet
// processors. With no rules, every bridge of the chain switches NORMAL, so the
// chain forwards everything untouched. Patch ports are trunks of every VLAN:
// VLAN access/trunk/native-untagged tagging happens on the VM's own tap port,
// so VLAN semantics are the same end to end.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/nic_type.h"
#include "hvagent/common/status.h"
#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kLocalBridgeName = "br0.local";
inline constexpr const char* kMicrosegBridgeName = "br.microseg";
inline constexpr const char* kNetworkFunctionBridgeName = "br.nf";
// The chain's patch ports, named after the link's direction.
inline constexpr const char* kLocalToMicrosegPort = "local-to-microseg";
inline constexpr const char* kMicrosegToLocalPort = "microseg-to-local";
inline constexpr const char* kMicrosegToNfPort = "microseg-to-nf";
inline constexpr const char* kNfToMicrosegPort = "nf-to-microseg";
inline constexpr const char* kNfToBr0Port = "nf-to-br0";
inline constexpr const char* kBr0ToNfPort = "br0-to-nf";
// external_ids kind of the chain's patch ports.
inline constexpr const char* kKindPatchPort = "patch-port";

// One end of a patch link: port `port` on `bridge`, peer of `peer`.
struct ChainPatchPort {
  std::string bridge;
  std::string port;
  std::string peer;
};

// The bridges between the VMs and br0, VM side first: br0.local, br.microseg,
// br.nf.
std::vector<std::string> ChainBridgeNames();
// The six patch ports, two per link, VM side first.
std::vector<ChainPatchPort> ChainPatchPorts();
// Whether `bridge` is one of ChainBridgeNames().
bool IsChainBridge(const std::string& bridge);

// The bridge of a VM NIC's port, given the bridge its network is on: a
// normal NIC of a br0 network goes on br0.local (networks of other bridges
// have no chain: their NICs go on the bridge itself); a direct NIC on the
// network's bridge; a network-function NIC on br.nf.
std::string VmPortBridge(NicType type, const std::string& network_bridge);
// The external_ids value (kNetworkFunctionRoleKey) of a processor NIC's
// role: "ingress", "egress", "tap"; "" for kNone.
std::string NetworkFunctionRoleValue(NetworkFunctionRole role);

// The operations that make `snap` hold the chain: the bridges that are
// missing (with br0's datapath type, which patch ports need), a wrong
// datapath type corrected, the patch ports that are missing or wrong
// (re-typed, re-peered, moved to their bridge, their VLAN columns cleared).
// Empty when everything is right: nothing is written. FAILED_PRECONDITION
// if br0 is missing (pure).
StatusOr<nlohmann::json> BridgeChainOperations(const SwitchSnapshot& snap);

class BridgeChain {
 public:
  explicit BridgeChain(ovsdb::Transactor& ovsdb) : ovsdb_(ovsdb) {}
  // Reads the switch and applies BridgeChainOperations in one transaction.
  // Returns whether anything was written.
  StatusOr<bool> Ensure();

 private:
  ovsdb::Transactor& ovsdb_;
};

}  // namespace hvagent::network
