#include "hvagent/pci/pci_inventory.h"

#include <algorithm>
#include <charconv>

namespace hvagent::pci {

namespace {

bool ParseHex(std::string_view text, size_t digits, uint32_t& value) {
  if (text.size() != digits) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

StatusOr<PciAddress> PciAddress::Parse(std::string_view text) {
  // DDDD:BB:SS.F
  PciAddress address;
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.' ||
      !ParseHex(text.substr(0, 4), 4, address.domain) ||
      !ParseHex(text.substr(5, 2), 2, address.bus) ||
      !ParseHex(text.substr(8, 2), 2, address.slot) ||
      !ParseHex(text.substr(11, 1), 1, address.function) || address.slot > 0x1f ||
      address.function > 7) {
    return absl::InvalidArgumentError(fmt::format(
        "'{}' is not a PCI address (domain:bus:slot.function in hex, e.g. 0000:3b:00.0)", text));
  }
  return address;
}

std::string PciAddress::ToString() const {
  return fmt::format("{:04x}:{:02x}:{:02x}.{:x}", domain, bus, slot, function);
}

std::string PciDevice::ClassName() const {
  switch (class_code >> 16) {
    case 0x01: return "storage";
    case 0x02: return "network";
    case 0x06: return "bridge";
    default: return "other";
  }
}

std::string PciDevice::VendorDevice() const {
  return fmt::format("{:04x}:{:04x}", vendor_id, device_id);
}

const PciDevice* PciInventory::Find(const PciAddress& address) const {
  const auto it = std::find_if(devices.begin(), devices.end(),
                               [&](const PciDevice& d) { return d.address == address; });
  return it == devices.end() ? nullptr : &*it;
}

const StorageController* PciInventory::FindController(const PciAddress& address) const {
  const auto it =
      std::find_if(storage_controllers.begin(), storage_controllers.end(),
                   [&](const StorageController& c) { return c.device.address == address; });
  return it == storage_controllers.end() ? nullptr : &*it;
}

std::vector<const BlockDevice*> PciInventory::BlockDevicesOf(const PciAddress& address) const {
  std::vector<const BlockDevice*> found;
  for (const BlockDevice& disk : block_devices) {
    if (std::find(disk.controllers.begin(), disk.controllers.end(), address) !=
        disk.controllers.end()) {
      found.push_back(&disk);
    }
  }
  return found;
}

}  // namespace hvagent::pci
