// The host's PCI devices as the Controller VM's configuration reaches them.
#pragma once

#include <string>

#include "hvagent/pci/device_binder.h"

namespace hvagent::daemon {

// The kernel's sysfs and libvirt's node devices; a test gives a tree
// recorded from a real kernel and a stand-in binder instead (no machine here
// has VFIO hardware).
struct PciAccess {
  std::string sysfs_root = "/";
  pci::DeviceBinder* binder = nullptr;  // null: libvirt's node devices
};

}  // namespace hvagent::daemon
