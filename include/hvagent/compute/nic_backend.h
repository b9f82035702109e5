// The host side of a VM NIC (its tap device and switch port), behind a narrow
// interface: VM lifecycle decides when, the network side decides how.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

class NicBackend {
 public:
  virtual ~NicBackend() = default;
  // Creates the NIC's tap (nic.tap) and plugs it into nic.bridge on its VLANs,
  // tagged as the VM's. Idempotent: re-attaching an attached NIC updates it.
  virtual Status Attach(const std::string& vm_uuid, const NicConfig& nic) = 0;
  // Sets the NIC's QoS on its port (all zero: none); Attach applies a
  // non-empty QoS itself.
  virtual Status ApplyQos(const NicConfig& nic) = 0;
  // Unplugs and removes the tap. OK if already gone.
  virtual Status Detach(const NicConfig& nic) = 0;
  // Every NIC attached and tagged as a VM's (nic.mac, nic.tap, nic.network
  // and nic.bridge filled), by VM UUID.
  virtual StatusOr<std::multimap<std::string, NicConfig>> ListAttached() = 0;
  // The host's taps named as the agent names them (TapNameFor), with a port
  // or without one (an attach or detach cut short between its two steps).
  virtual StatusOr<std::vector<std::string>> ListTaps() = 0;
};

// A network as VM NICs need it: where it is and on which VLAN.
struct ResolvedNetwork {
  std::string bridge;
  uint32_t vlan_id = 0;
};

class NetworkResolver {
 public:
  virtual ~NetworkResolver() = default;
  // NOT_FOUND for an unknown network.
  virtual StatusOr<ResolvedNetwork> Resolve(const std::string& network) = 0;

  // Fills nic.bridge and nic.vlan_id from nic.network. A network-function
  // NIC is on no network: it has neither.
  Status ResolveInto(NicConfig& nic) {
    if (nic.type == NicType::kNetworkFunction) {
      nic.bridge.clear();
      nic.vlan_id = 0;
      return absl::OkStatus();
    }
    HVAGENT_ASSIGN_OR_RETURN(const ResolvedNetwork network, Resolve(nic.network));
    nic.bridge = network.bridge;
    nic.vlan_id = network.vlan_id;
    return absl::OkStatus();
  }
};

}  // namespace hvagent::compute
