// The narrow interface through which VM lifecycle plugs a NIC's tap into the
// switch, and its implementation over OVSDB. One transaction per plug: the
// port appears with its final VLAN configuration, never briefly on another.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

struct PortSpec {
  std::string bridge;
  std::string name;  // the tap device
  // Access: the port is on `vlan_id` (0 = untagged). Trunked: `vlan_id` is the
  // native VLAN, sent untagged, and `trunks` are sent tagged.
  uint32_t vlan_id = 0;
  bool trunked = false;
  std::vector<uint32_t> trunks;
  // A port outside the bridge's NORMAL switching (a packet processor's NIC
  // on br.nf): access on the dead VLAN 4095 and protected, so no flood or
  // learned MAC reaches it and it reaches no other processor's port; only
  // OpenFlow rules steer traffic to and from it. vlan_id and trunks unused.
  bool isolated = false;
  // Ownership tags (owner, vm-uuid, attached-mac, network, and a
  // network-function NIC's role), on the Port and its Interface, so a
  // restarted agent knows the row is its own.
  std::map<std::string, std::string> external_ids;
};

// A port the agent plugged, as OVSDB has it.
struct OwnedPort {
  std::string name;
  std::map<std::string, std::string> external_ids;
};

class PortPlugger {
 public:
  virtual ~PortPlugger() = default;
  // Creates or updates the port; a port on another bridge is moved to
  // spec.bridge in the same transaction (one reconfiguration of
  // ovs-vswitchd). FAILED_PRECONDITION if the bridge is missing.
  virtual Status Plug(const PortSpec& spec) = 0;
  // Removes the port; OK if it is not there.
  virtual Status Unplug(const std::string& name) = 0;
  // The ports whose external_ids say owner=hvagent.
  virtual StatusOr<std::vector<OwnedPort>> ListOwned() = 0;
};

// Builds the OVSDB operations for Plug when the port does not exist yet:
// pure, so the translation is tested on its own.
nlohmann::json PlugOperations(const PortSpec& spec);
// Whether a Port row (as OVSDB returns it: tag, trunks, vlan_mode, protected,
// external_ids) already is what `spec` asks for (its bridge aside).
bool PortMatches(const nlohmann::json& row, const PortSpec& spec);
// The operations that make an existing port (uuid `port_uuid`, now on bridge
// `current_bridge`, "" if none) what `spec` asks for: its VLAN columns and
// tags, its Interface's tags, and a move to spec.bridge when it is elsewhere
// (pure).
nlohmann::json RePlugOperations(const PortSpec& spec, const std::string& port_uuid,
                                const std::string& current_bridge);

class OvsdbPortPlugger final : public PortPlugger {
 public:
  explicit OvsdbPortPlugger(ovsdb::Transactor& ovsdb) : ovsdb_(ovsdb) {}
  Status Plug(const PortSpec& spec) override;
  Status Unplug(const std::string& name) override;
  StatusOr<std::vector<OwnedPort>> ListOwned() override;

 private:
  ovsdb::Transactor& ovsdb_;
};

}  // namespace hvagent::network
