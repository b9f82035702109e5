#include "hvagent/api/controller_vm_convert.h"

#include <algorithm>

namespace hvagent::api {

namespace {

void PciDeviceToProto(const pci::PciDevice& device, v1::PciDevice* out) {
  out->set_address(device.address.ToString());
  out->set_vendor_id(fmt::format("{:04x}", device.vendor_id));
  out->set_device_id(fmt::format("{:04x}", device.device_id));
  out->set_device_class(device.ClassName());
  out->set_class_code(fmt::format("{:06x}", device.class_code));
  out->set_driver(device.driver);
  out->set_numa_node(device.numa_node);
  out->set_iommu_group(device.iommu_group ? static_cast<int32_t>(*device.iommu_group) : -1);
}

}  // namespace

Status ValidatePciClassFilter(const std::string& class_filter) {
  for (const char* known : {"", "storage", "network", "bridge", "other"}) {
    if (class_filter == known) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(fmt::format(
      "class_filter: '{}' is not one of storage, network, bridge, other (or empty for all)",
      class_filter));
}

void StorageControllerToProto(const pci::StorageController& controller, v1::PciDevice* out) {
  PciDeviceToProto(controller.device, out);
  for (const pci::PciDevice& peer : controller.group_peers) {
    out->add_iommu_group_peers(peer.address.ToString());
  }
  for (const pci::BlockDevice& disk : controller.block_devices) {
    v1::PciBlockDevice* block = out->add_block_devices();
    block->set_name(disk.name);
    for (const pci::HostUse& use : disk.host_uses) block->add_host_uses(use.description);
  }
  out->set_assignable(controller.assignable);
  for (const std::string& reason : controller.not_assignable_reasons) {
    out->add_not_assignable_reasons(reason);
  }
  if (!controller.not_assignable_reasons.empty()) {
    out->set_not_assignable_reason(controller.not_assignable_reasons.front());
  }
}

void PciInventoryToProto(const pci::PciInventory& inventory, const std::string& class_filter,
                         v1::ListPciDevicesResponse* out) {
  out->set_iommu_enabled(inventory.iommu_enabled);
  out->set_vfio_pci_available(inventory.vfio_pci_available);
  if (class_filter.empty() || class_filter == "storage") {
    for (const pci::StorageController& controller : inventory.storage_controllers) {
      StorageControllerToProto(controller, out->add_devices());
    }
  }
  for (const pci::PciDevice& device : inventory.devices) {
    if (device.IsStorageController()) continue;
    if (!class_filter.empty() && device.ClassName() != class_filter) continue;
    v1::PciDevice* shown = out->add_devices();
    PciDeviceToProto(device, shown);
    if (device.iommu_group) {
      const auto group = inventory.iommu_groups.find(*device.iommu_group);
      if (group != inventory.iommu_groups.end()) {
        for (const pci::PciAddress& peer : group->second) {
          if (peer != device.address) shown->add_iommu_group_peers(peer.ToString());
        }
      }
    }
    const std::string reason =
        device.IsBridge() ? fmt::format("{}: a bridge; bridges are never passed through",
                                        device.address.ToString())
                          : fmt::format(
                                "{}: not a storage controller; only storage controllers go to the "
                                "Controller VM (with their IOMMU group peers)",
                                device.address.ToString());
    shown->set_assignable(false);
    shown->set_not_assignable_reason(reason);
    shown->add_not_assignable_reasons(reason);
  }
}

StatusOr<compute::ControllerVmRequest> ControllerVmRequestFromProto(
    const v1::ConfigureControllerVmRequest& request, const std::string& cvm_name) {
  if (!request.name().empty() && request.name() != cvm_name) {
    return absl::InvalidArgumentError(fmt::format(
        "name: this host's Controller VM is '{}' (NTNX-<host>-CVM), not '{}'; leave it empty",
        cvm_name, request.name()));
  }
  if (request.storage_controllers().empty()) {
    return absl::InvalidArgumentError("storage_controllers: select at least one controller");
  }
  if (request.num_vcpus() == 0) {
    return absl::InvalidArgumentError("num_vcpus: must be at least 1");
  }
  if (request.memory_bytes() == 0 || request.memory_bytes() % (uint64_t{1} << 20) != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "memory_bytes: must be a positive whole number of MiB (is {})", request.memory_bytes()));
  }
  compute::ControllerVmRequest out;
  out.num_vcpus = request.num_vcpus();
  out.memory_bytes = request.memory_bytes();
  for (int i = 0; i < request.storage_controllers_size(); ++i) {
    const auto& selection = request.storage_controllers(i);
    if (auto address = pci::PciAddress::Parse(selection.address()); !address.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("storage_controllers[{}].address: {}", i, address.status().message()));
    }
    out.controllers.push_back({selection.address(), selection.vendor_id(), selection.device_id()});
  }
  return out;
}

void ControllerVmStatusToProto(const compute::ControllerVmStatus& status, v1::ControllerVm* out) {
  out->set_name(status.name);
  out->set_internal_address(status.internal_address);
  out->set_defined(status.defined);
  if (!status.defined) return;
  out->set_vm_uuid(status.facts.uuid);
  out->set_state(status.state);
  out->set_autostart(status.autostart);
  out->set_num_vcpus(status.facts.num_vcpus);
  out->set_memory_bytes(status.facts.memory_bytes);
  int32_t node = -1;
  if (!status.facts.numatune_nodeset.empty())
    node = std::atoi(status.facts.numatune_nodeset.c_str());
  out->set_numa_node(node);
  if (!status.facts.vcpupin_cpusets.empty()) out->set_vcpu_cpuset(status.facts.vcpupin_cpusets[0]);
  for (const std::string& address : status.facts.hostdev_addresses) {
    out->add_passed_endpoints(address);
  }
  for (const pci::StorageController& controller : status.controllers) {
    StorageControllerToProto(controller, out->add_storage_controllers());
  }
}

}  // namespace hvagent::api
