// Validation before anything is bound to vfio-pci: every refusal is
// FAILED_PRECONDITION naming the device and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/pci/pci_inventory.h"

namespace hvagent::pci {

// A controller the caller wants passed through, with the vendor:device it
// expects at that address (a renumbered bus is caught, not obeyed).
struct ControllerSelection {
  std::string address;
  std::string vendor_id;  // 4 hex digits
  std::string device_id;  // 4 hex digits
};

struct PassthroughPlan {
  // The selected controllers, in request order.
  std::vector<PciDevice> controllers;
  // Every endpoint to hand to vfio-pci: the selected controllers' whole IOMMU
  // groups, bridges excluded, by address.
  std::vector<PciDevice> endpoints;
  // The NUMA node to pin the CVM to (the first controller's); -1 when none.
  int numa_node = -1;
};

// Refuses (FAILED_PRECONDITION, naming the device and the reason) when: no
// device is at a selected address, or its vendor:device is not the expected
// one; it is a bridge; the IOMMU is off; vfio-pci is not available; its IOMMU
// group holds an endpoint that is not selected too (VFIO passes whole groups;
// bridges stay with the host); or a group endpoint has a block device the host
// uses (mounted, swap, md/LVM/dm holder). INVALID_ARGUMENT for a malformed
// address or id, naming the field. Pure: it reads only `inventory`.
StatusOr<PassthroughPlan> ValidatePassthrough(const PciInventory& inventory,
                                              const std::vector<ControllerSelection>& selections);

}  // namespace hvagent::pci
