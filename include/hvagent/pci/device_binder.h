// The narrow seam through which PCI endpoints go to vfio-pci and back: in the
// daemon, libvirt's node-device detach/re-attach (compute::LibvirtControllerVmDomains);
// in tests, a fake with injected faults (no test machine has VFIO hardware).
#pragma once

#include "hvagent/common/status.h"
#include "hvagent/pci/pci_inventory.h"

namespace hvagent::pci {

class DeviceBinder {
 public:
  virtual ~DeviceBinder() = default;
  // Unbinds `address` from its host driver and binds it to vfio-pci; OK when
  // it already is on vfio-pci.
  virtual Status Detach(const PciAddress& address) = 0;
  // Hands it back to the host (its own driver probes it again); OK when it is
  // not on vfio-pci.
  virtual Status Reattach(const PciAddress& address) = 0;
};

}  // namespace hvagent::pci
