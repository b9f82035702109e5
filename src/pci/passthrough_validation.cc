#include "hvagent/pci/passthrough_validation.h"

#include <algorithm>
#include <set>

namespace hvagent::pci {

namespace {

bool IsHexId(const std::string& text) {
  return text.size() == 4 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

StatusOr<PassthroughPlan> ValidatePassthrough(const PciInventory& inventory,
                                              const std::vector<ControllerSelection>& selections) {
  if (selections.empty()) {
    return absl::InvalidArgumentError("storage_controllers: select at least one controller");
  }
  // Shape first: nothing is looked at before every selection is well-formed.
  std::vector<PciAddress> addresses;
  for (size_t i = 0; i < selections.size(); ++i) {
    const ControllerSelection& selection = selections[i];
    auto address = PciAddress::Parse(selection.address);
    if (!address.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("storage_controllers[{}].address: {}", i, address.status().message()));
    }
    if (!IsHexId(selection.vendor_id) || !IsHexId(selection.device_id)) {
      return absl::InvalidArgumentError(fmt::format(
          "storage_controllers[{}]: vendor_id and device_id must be 4 hex digits each (got "
          "'{}:{}')",
          i, selection.vendor_id, selection.device_id));
    }
    if (std::find(addresses.begin(), addresses.end(), *address) != addresses.end()) {
      return absl::InvalidArgumentError(
          fmt::format("storage_controllers[{}]: {} is selected twice", i, address->ToString()));
    }
    addresses.push_back(*address);
  }

  PassthroughPlan plan;
  const std::set<PciAddress> selected(addresses.begin(), addresses.end());
  std::set<PciAddress> endpoints;
  for (size_t i = 0; i < selections.size(); ++i) {
    const std::string name = addresses[i].ToString();
    const PciDevice* device = inventory.Find(addresses[i]);
    if (device == nullptr) {
      return absl::FailedPreconditionError(
          fmt::format("{}: no PCI device at this address (was the hardware changed?)", name));
    }
    const std::string expected =
        fmt::format("{}:{}", Lower(selections[i].vendor_id), Lower(selections[i].device_id));
    if (device->VendorDevice() != expected) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: the device there is {}, not the expected {} (renumbered after a hardware "
          "change?); nothing was bound",
          name, device->VendorDevice(), expected));
    }
    if (device->IsBridge()) {
      return absl::FailedPreconditionError(
          fmt::format("{}: is a PCI bridge; bridges are never passed through", name));
    }
    if (!inventory.iommu_enabled) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: the IOMMU is off (/sys/kernel/iommu_groups is empty; enable VT-d/AMD-Vi in the "
          "firmware and boot with intel_iommu=on or amd_iommu=on)",
          name));
    }
    if (!inventory.vfio_pci_available) {
      return absl::FailedPreconditionError(fmt::format(
          "{}: vfio-pci is not available (neither loaded, built in nor installed as a module)",
          name));
    }
    if (!device->iommu_group) {
      return absl::FailedPreconditionError(
          fmt::format("{}: the kernel put it in no IOMMU group", name));
    }
    const auto group = inventory.iommu_groups.find(*device->iommu_group);
    const std::vector<PciAddress> members = group == inventory.iommu_groups.end()
                                                ? std::vector<PciAddress>{device->address}
                                                : group->second;
    for (const PciAddress& member_address : members) {
      const PciDevice* member = inventory.Find(member_address);
      if (member == nullptr || member->IsBridge()) continue;  // bridges stay with the host
      const std::string member_name = member_address.ToString();
      if (!selected.contains(member_address)) {
        return absl::FailedPreconditionError(fmt::format(
            "{}: its IOMMU group {} also holds {} ({}, {}), which is not passed along with it; "
            "VFIO passes whole groups, so select it too or choose another controller",
            name, *device->iommu_group, member_name, member->VendorDevice(), member->ClassName()));
      }
      for (const BlockDevice* disk : inventory.BlockDevicesOf(member_address)) {
        if (disk->host_uses.empty()) continue;
        const HostUse& use = disk->host_uses.front();
        return absl::FailedPreconditionError(fmt::format(
            "{}: {} is used by the host ({}){}", name,
            member_address == addresses[i] ? "it"
                                           : fmt::format("its IOMMU group peer {}", member_name),
            use.description,
            use.host_critical ? "; the controller of the host's root, boot or swap is never passed"
                              : ""));
      }
      if (endpoints.insert(member_address).second) plan.endpoints.push_back(*member);
    }
    plan.controllers.push_back(*device);
  }
  if (std::none_of(plan.controllers.begin(), plan.controllers.end(),
                   [](const PciDevice& d) { return d.IsStorageController(); })) {
    return absl::FailedPreconditionError(
        "storage_controllers: none of the selected devices is a storage controller (class 01xx)");
  }
  for (const PciDevice& controller : plan.controllers) {
    if (controller.IsStorageController() && controller.numa_node >= 0) {
      plan.numa_node = controller.numa_node;
      break;
    }
  }
  std::sort(plan.endpoints.begin(), plan.endpoints.end(),
            [](const PciDevice& a, const PciDevice& b) { return a.address < b.address; });
  return plan;
}

}  // namespace hvagent::pci
