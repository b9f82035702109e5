// Reads a PciInventory from a sysfs tree: pure over a configurable root, so
// tests read trees recorded from a real kernel (scripts/record-pci-sysfs.sh).
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/pci/pci_inventory.h"

namespace hvagent::pci {

struct SysfsLayout {
  // "/" on a host; a recorded or hand-made tree in tests. Read below it:
  // sys/bus/pci/devices, sys/kernel/iommu_groups, sys/class/block, sys/dev/block,
  // sys/bus/pci/drivers, sys/module, proc/self/mountinfo (or mounts), proc/swaps.
  std::string root = "/";
  // The running kernel's release (uname -r): lib/modules/<release> is where a
  // loadable vfio-pci would be. Empty: only a loaded or bound vfio-pci counts.
  std::string kernel_release;
};

// FAILED_PRECONDITION when sys/bus/pci/devices cannot be read at all; a device
// whose attributes are unreadable is skipped rather than guessed.
StatusOr<PciInventory> ReadPciInventory(const SysfsLayout& layout);

}  // namespace hvagent::pci
