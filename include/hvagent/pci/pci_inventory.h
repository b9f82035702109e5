// What PCI discovery finds on a host: devices, IOMMU groups, block devices and
// the storage controllers that could be passed to the Controller VM.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::pci {

// domain:bus:slot.function, e.g. 0000:3b:00.0.
struct PciAddress {
  uint32_t domain = 0;
  uint32_t bus = 0;
  uint32_t slot = 0;
  uint32_t function = 0;

  // Accepts the sysfs spelling "DDDD:BB:SS.F" (hex); anything else is
  // INVALID_ARGUMENT naming the text.
  static StatusOr<PciAddress> Parse(std::string_view text);
  // "DDDD:BB:SS.F", lower-case hex, as sysfs spells it.
  std::string ToString() const;
  auto operator<=>(const PciAddress&) const = default;
};

struct PciDevice {
  PciAddress address;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  // The 24-bit class code (class, subclass, programming interface).
  uint32_t class_code = 0;
  // The bound kernel driver ("ahci", "vfio-pci"); empty when none.
  std::string driver;
  // The NUMA node the device hangs off; -1 when the platform does not say.
  int numa_node = -1;
  std::optional<uint32_t> iommu_group;

  // Class 01: SCSI 0100, RAID 0104, SATA 0106, SAS 0107, NVMe 0108, ...
  bool IsStorageController() const { return (class_code >> 16) == 0x01; }
  // Class 06 (host, PCI-to-PCI and PCIe bridges, root ports): never passed.
  bool IsBridge() const { return (class_code >> 16) == 0x06; }
  // "storage", "network", "bridge", "other".
  std::string ClassName() const;
  // "8086:2922".
  std::string VendorDevice() const;
};

// One way the host uses a block device, e.g. "sda1 is mounted at /boot".
struct HostUse {
  std::string description;
  // The host's root, /boot, /boot/efi or swap: the controller behind it is the
  // host's own and is never offered.
  bool host_critical = false;
};

// A whole disk (not a partition) and what is behind it.
struct BlockDevice {
  std::string name;  // "sda", "nvme0n1"
  // The PCI controllers it hangs off (several for NVMe multipath).
  std::vector<PciAddress> controllers;
  // What the host does with it or its partitions, directly or through md,
  // LVM or dm holders.
  std::vector<HostUse> host_uses;
};

struct StorageController {
  PciDevice device;
  // The other members of its IOMMU group (bridges included; they stay with
  // the host, endpoints go to vfio-pci together).
  std::vector<PciDevice> group_peers;
  // Whole disks behind it, with the host's uses.
  std::vector<BlockDevice> block_devices;
  bool assignable = false;
  // Why not, when it is not (each names the device and the reason).
  std::vector<std::string> not_assignable_reasons;
};

struct PciInventory {
  // /sys/kernel/iommu_groups holds at least one group.
  bool iommu_enabled = false;
  // vfio-pci is bound somewhere, loaded, built in, or a loadable module.
  bool vfio_pci_available = false;
  // Every PCI device, by address.
  std::vector<PciDevice> devices;
  std::map<uint32_t, std::vector<PciAddress>> iommu_groups;
  std::vector<BlockDevice> block_devices;
  std::vector<StorageController> storage_controllers;

  const PciDevice* Find(const PciAddress& address) const;
  const StorageController* FindController(const PciAddress& address) const;
  // The block devices behind `address` (any of them, for multipath).
  std::vector<const BlockDevice*> BlockDevicesOf(const PciAddress& address) const;
};

}  // namespace hvagent::pci
