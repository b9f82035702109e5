// host.pci_list, cvm.get, cvm.configure: PCI discovery and the Controller VM.
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace hvagent::cli {
namespace {

using v1::HostService;

int PciList(Invocation& inv) {
  v1::ListPciDevicesRequest request;
  request.set_class_filter(inv.args().String("class"));
  return CallAndList(inv, &HostService::Stub::ListPciDevices, request, "devices",
                     {{"ADDRESS", "address"},
                      {"VENDOR", "vendor_id"},
                      {"DEVICE", "device_id"},
                      {"CLASS", "device_class"},
                      {"DRIVER", "driver"},
                      {"NUMA", "numa_node"},
                      {"GROUP", "iommu_group"},
                      {"ASSIGNABLE", "assignable"},
                      {"WHY_NOT", "not_assignable_reason"}});
}

int CvmGet(Invocation& inv) {
  return CallAndShow(inv, &HostService::Stub::GetControllerVm, v1::GetControllerVmRequest{});
}

int CvmConfigure(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  v1::ConfigureControllerVmRequest request;
  request.set_request_id(inv.NewRequestId());
  for (const std::string& item : a.StringList("controllers")) {
    // ADDRESS@VENDOR:DEVICE, e.g. 0000:3b:00.0@1000:0097
    const size_t at = item.find('@');
    const size_t colon = at == std::string::npos ? at : item.find(':', at);
    if (at == std::string::npos || colon == std::string::npos) {
      return inv.UsageError(fmt::format(
          "controllers: '{}' is not ADDRESS@VENDOR:DEVICE (e.g. 0000:3b:00.0@1000:0097)", item));
    }
    auto* selection = request.add_storage_controllers();
    selection->set_address(item.substr(0, at));
    selection->set_vendor_id(item.substr(at + 1, colon - at - 1));
    selection->set_device_id(item.substr(colon + 1));
  }
  request.set_num_vcpus(static_cast<uint32_t>(a.Int("num_vcpus")));
  request.set_memory_bytes(a.Size("memory"));
  return CallAndShow(inv, &HostService::Stub::ConfigureControllerVm, request);
}

}  // namespace

void AddPciCommands(CommandTable& table) {
  table.Add({.name = "host.pci_list",
             .summary = "List PCI devices, storage controllers first, and whether each can go to "
                        "the Controller VM (and why not)",
             .keys = {KeySpec::String("class", "storage, network, bridge or other (default all)")},
             .run = PciList});
}

void AddControllerVmCommands(CommandTable& table) {
  table.Add({.name = "cvm.get",
             .summary = "Show the Controller VM: state, passed controllers, NUMA pinning",
             .run = CvmGet});
  table.Add({.name = "cvm.configure",
             .summary = "Define or reconfigure the Controller VM: validates, binds the "
                        "controllers' IOMMU groups to vfio-pci, pins it to their NUMA node",
             .keys = {KeySpec::StringList("controllers",
                                          "ADDRESS@VENDOR:DEVICE,... every endpoint of the "
                                          "controllers' IOMMU groups")
                          .Required(),
                      KeySpec::Int("num_vcpus", "vCPUs", 1, 4096).Required(),
                      KeySpec::Size("memory", "memory, e.g. 32G").Required()},
             .details = "Example: cvm.configure controllers=0000:3b:00.0@1000:0097 num_vcpus=8 "
                        "memory=32G. Refused, with the device and the reason, when the IOMMU is "
                        "off, vfio-pci is missing, the vendor:device differs, a group endpoint is "
                        "not listed, or the host uses a disk behind it. See docs/cvm.md.",
             .run = CvmConfigure});
}

}  // namespace hvagent::cli
