// HostService's PCI discovery and Controller VM methods: reads on a worker
// (sysfs and libvirt may block), ConfigureControllerVm under the CVM's VM
// worker key (so it is ordered with VmService actions on the CVM) and
// through request_id replay.
#include "hvagent/api/controller_vm_convert.h"
#include "hvagent/api/host_service.h"
#include "hvagent/common/worker_keys.h"

namespace hvagent::api {

grpc::ServerUnaryReactor* HostServiceImpl::ListPciDevices(grpc::CallbackServerContext* context,
                                                          const v1::ListPciDevicesRequest* request,
                                                          v1::ListPciDevicesResponse* response) {
  return rpc_.Read(context, ValidatePciClassFilter(request->class_filter()),
                   [this, request, response]() -> Status {
                     HVAGENT_ASSIGN_OR_RETURN(pci::PciInventory inventory, cvm_.Inventory());
                     PciInventoryToProto(inventory, request->class_filter(), response);
                     return absl::OkStatus();
                   });
}

grpc::ServerUnaryReactor* HostServiceImpl::GetControllerVm(
    grpc::CallbackServerContext* context, const v1::GetControllerVmRequest* /*request*/,
    v1::ControllerVm* response) {
  return rpc_.ReadOne(
      context, absl::OkStatus(), [this] { return cvm_.Get(); }, ControllerVmStatusToProto,
      response);
}

grpc::ServerUnaryReactor* HostServiceImpl::ConfigureControllerVm(
    grpc::CallbackServerContext* context, const v1::ConfigureControllerVmRequest* request,
    v1::ControllerVm* response) {
  auto converted = ControllerVmRequestFromProto(*request, cvm_.name());
  const Status valid = converted.status();
  return rpc_.Change(context, __func__, *request, response, worker_keys::Vm(cvm_.name()), valid,
                     [this, response, converted = std::move(converted)]() -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(compute::ControllerVmStatus status,
                                                cvm_.Configure(*converted));
                       ControllerVmStatusToProto(status, response);
                       return absl::OkStatus();
                     });
}

}  // namespace hvagent::api
