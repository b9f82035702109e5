// Proto <-> domain conversions for HostService's PCI and Controller VM
// methods (ListPciDevices, GetControllerVm, ConfigureControllerVm).
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/controller_vm_manager.h"
#include "hvagent/pci/pci_inventory.h"
#include "hvagent/v1/host.pb.h"

namespace hvagent::api {

// INVALID_ARGUMENT unless `class_filter` is "", "storage", "network",
// "bridge" or "other".
Status ValidatePciClassFilter(const std::string& class_filter);
// Storage controllers first (with their disks, group and reasons), then the
// other devices of `class_filter` ("" for all), each by address.
void PciInventoryToProto(const pci::PciInventory& inventory, const std::string& class_filter,
                         v1::ListPciDevicesResponse* out);
void StorageControllerToProto(const pci::StorageController& controller, v1::PciDevice* out);

// The request's shape (INVALID_ARGUMENT naming the field); what is at each
// address is pci::ValidatePassthrough's to judge. `cvm_name` is this host's
// only CVM name: request.name must be it or empty.
StatusOr<compute::ControllerVmRequest> ControllerVmRequestFromProto(
    const v1::ConfigureControllerVmRequest& request, const std::string& cvm_name);
void ControllerVmStatusToProto(const compute::ControllerVmStatus& status, v1::ControllerVm* out);

}  // namespace hvagent::api
