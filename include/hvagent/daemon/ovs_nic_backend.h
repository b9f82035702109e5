// Wiring between VM lifecycle and the switch: a VM NIC's host side is an
// agent-made tap plugged into OVS by OVSDB; its network comes from the store.
#pragma once

#include "hvagent/compute/nic_backend.h"
#include "hvagent/network/nic_qos.h"
#include "hvagent/network/port_plugger.h"
#include "hvagent/store/network_store.h"

namespace hvagent::daemon {

// The port of a VM's NIC: on the bridge its type puts it on (behind the
// bridge chain, direct, or a processor's isolated port on br.nf), tagged with
// the VM, the MAC and the network or the network-function role (pure).
network::PortSpec VmPortSpec(const std::string& vm_uuid, const compute::NicConfig& nic);

class OvsNicBackend final : public compute::NicBackend {
 public:
  OvsNicBackend(network::PortPlugger& plugger, network::NicQosApplier& qos)
      : plugger_(plugger), qos_(qos) {}
  Status Attach(const std::string& vm_uuid, const compute::NicConfig& nic) override;
  Status ApplyQos(const compute::NicConfig& nic) override;
  Status Detach(const compute::NicConfig& nic) override;
  StatusOr<std::multimap<std::string, compute::NicConfig>> ListAttached() override;
  StatusOr<std::vector<std::string>> ListTaps() override;

 private:
  network::PortPlugger& plugger_;
  network::NicQosApplier& qos_;
};

class StoreNetworkResolver final : public compute::NetworkResolver {
 public:
  explicit StoreNetworkResolver(store::NetworkStore& networks) : networks_(networks) {}
  StatusOr<compute::ResolvedNetwork> Resolve(const std::string& network) override;

 private:
  store::NetworkStore& networks_;
};

}  // namespace hvagent::daemon
