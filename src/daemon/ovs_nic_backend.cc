#include "hvagent/daemon/ovs_nic_backend.h"

#include "hvagent/compute/device_names.h"
#include "hvagent/network/bridge_chain.h"
#include "hvagent/network/tap_device.h"

namespace hvagent::daemon {

network::PortSpec VmPortSpec(const std::string& vm_uuid, const compute::NicConfig& nic) {
  network::PortSpec port{
      .bridge = network::VmPortBridge(nic.type, nic.bridge),
      .name = nic.tap,
      .vlan_id = nic.vlan_id,
      .trunked = nic.vlan_mode == compute::VlanMode::kTrunked,
      .trunks = nic.trunked_vlans,
      .isolated = nic.type == NicType::kNetworkFunction,
      // What OpenStack and peers tag: a restarted agent knows its own rows.
      .external_ids = {{"owner", "hvagent"},
                       {network::kVmUuidKey, vm_uuid},
                       {network::kAttachedMacKey, nic.mac}},
  };
  if (nic.type == NicType::kNetworkFunction) {
    port.external_ids[network::kNetworkFunctionRoleKey] =
        network::NetworkFunctionRoleValue(nic.role);
  } else {
    port.external_ids["network"] = nic.network;
  }
  return port;
}

Status OvsNicBackend::Attach(const std::string& vm_uuid, const compute::NicConfig& nic) {
  HVAGENT_RETURN_IF_ERROR(network::TapDevice::Create(nic.tap));
  HVAGENT_RETURN_IF_ERROR(plugger_.Plug(VmPortSpec(vm_uuid, nic)));
  if (nic.qos.empty()) return absl::OkStatus();
  // Re-applying would replace the QoS rows: only a change is written.
  if (auto current = qos_.ReadNicQos(nic.tap); current.ok() && *current == nic.qos) {
    return absl::OkStatus();
  }
  return ApplyQos(nic);
}

Status OvsNicBackend::ApplyQos(const compute::NicConfig& nic) {
  return qos_.ApplyNicQos(nic.tap, nic.qos);
}

Status OvsNicBackend::Detach(const compute::NicConfig& nic) {
  // The tap first: a detach cut short in between leaves the port, which the
  // leftover sweep finds by its tags, rather than a tap nothing points at.
  HVAGENT_RETURN_IF_ERROR(network::TapDevice::Delete(nic.tap));
  return plugger_.Unplug(nic.tap);
}

StatusOr<std::multimap<std::string, compute::NicConfig>> OvsNicBackend::ListAttached() {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<network::OwnedPort> ports, plugger_.ListOwned());
  std::multimap<std::string, compute::NicConfig> nics;
  for (const network::OwnedPort& port : ports) {
    const auto vm = port.external_ids.find(network::kVmUuidKey);
    if (vm == port.external_ids.end()) continue;  // the agent's, but not a VM NIC
    compute::NicConfig nic;
    nic.tap = port.name;
    if (auto it = port.external_ids.find(network::kAttachedMacKey); it != port.external_ids.end()) {
      nic.mac = it->second;
    }
    if (auto it = port.external_ids.find("network"); it != port.external_ids.end()) {
      nic.network = it->second;
    }
    nics.emplace(vm->second, std::move(nic));
  }
  return nics;
}

StatusOr<std::vector<std::string>> OvsNicBackend::ListTaps() {
  HVAGENT_ASSIGN_OR_RETURN(std::vector<std::string> taps, network::TapDevice::List());
  std::erase_if(taps, [](const std::string& tap) { return !compute::IsAgentTapName(tap); });
  return taps;
}

StatusOr<compute::ResolvedNetwork> StoreNetworkResolver::Resolve(const std::string& network) {
  HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record, networks_.Get(network));
  return compute::ResolvedNetwork{.bridge = record.bridge, .vlan_id = record.vlan_id};
}

}  // namespace hvagent::daemon
