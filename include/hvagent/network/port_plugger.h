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
  // Ownership tags (owner, vm-uuid, attached-mac, network), so a restarted
  // agent knows the row is its own.
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
  // Creates or updates the port. FAILED_PRECONDITION if the bridge is missing.
  virtual Status Plug(const PortSpec& spec) = 0;
  // Removes the port; OK if it is not there.
  virtual Status Unplug(const std::string& name) = 0;
  // The ports whose external_ids say owner=hvagent.
  virtual StatusOr<std::vector<OwnedPort>> ListOwned() = 0;
};

// Builds the OVSDB operations for Plug when the port does not exist yet:
// pure, so the translation is tested on its own.
nlohmann::json PlugOperations(const PortSpec& spec);
// Whether a Port row (as OVSDB returns it: tag, trunks, vlan_mode,
// external_ids) already is what `spec` asks for.
bool PortMatches(const nlohmann::json& row, const PortSpec& spec);

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
