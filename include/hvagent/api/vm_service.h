// VmService: VM lifecycle over compute::VmManager, devices over
// compute::VmDeviceManager, migrations away from this host over
// compute::MigrationManager.
#pragma once

#include <functional>

#include "hvagent/api/rpc_runner.h"
#include "hvagent/compute/migration_manager.h"
#include "hvagent/compute/vm_action_guard.h"
#include "hvagent/compute/vm_device_manager.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/v1/vm.grpc.pb.h"

namespace hvagent::api {

class VmServiceImpl final : public v1::VmService::CallbackService {
 public:
  // `guard` (the Controller VM's protection) may be null: nothing is guarded.
  VmServiceImpl(RpcWorkers workers, RequestReplay& replay, const AccessPolicy& access,
                compute::VmManager& vms, compute::VmDeviceManager& devices,
                compute::MigrationManager& migrations,
                const compute::VmActionGuard* guard = nullptr)
      : rpc_(v1::VmService::service_full_name(), workers, replay, access),
        vms_(vms),
        devices_(devices),
        migrations_(migrations),
        guard_(guard) {}

  grpc::ServerUnaryReactor* CreateVm(grpc::CallbackServerContext* context,
                                     const v1::CreateVmRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* GetVm(grpc::CallbackServerContext* context,
                                  const v1::GetVmRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* ListVms(grpc::CallbackServerContext* context,
                                    const v1::ListVmsRequest* request,
                                    v1::ListVmsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteVm(grpc::CallbackServerContext* context,
                                     const v1::DeleteVmRequest* request,
                                     v1::DeleteVmResponse* response) override;
  grpc::ServerUnaryReactor* PowerOn(grpc::CallbackServerContext* context,
                                    const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* PowerOff(grpc::CallbackServerContext* context,
                                     const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* Shutdown(grpc::CallbackServerContext* context,
                                     const v1::ShutdownVmRequest* request,
                                     v1::Vm* response) override;
  grpc::ServerUnaryReactor* Reboot(grpc::CallbackServerContext* context,
                                   const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* Reset(grpc::CallbackServerContext* context,
                                  const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* Pause(grpc::CallbackServerContext* context,
                                  const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* Resume(grpc::CallbackServerContext* context,
                                   const v1::VmPowerRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* UpdateVm(grpc::CallbackServerContext* context,
                                     const v1::UpdateVmRequest* request, v1::Vm* response) override;
  grpc::ServerUnaryReactor* CreateNic(grpc::CallbackServerContext* context,
                                      const v1::CreateNicRequest* request,
                                      v1::Nic* response) override;
  grpc::ServerUnaryReactor* GetNic(grpc::CallbackServerContext* context,
                                   const v1::GetNicRequest* request, v1::Nic* response) override;
  grpc::ServerUnaryReactor* DeleteNic(grpc::CallbackServerContext* context,
                                      const v1::DeleteNicRequest* request,
                                      v1::DeleteNicResponse* response) override;
  grpc::ServerUnaryReactor* UpdateNic(grpc::CallbackServerContext* context,
                                      const v1::UpdateNicRequest* request,
                                      v1::Nic* response) override;
  grpc::ServerUnaryReactor* CreateDisk(grpc::CallbackServerContext* context,
                                       const v1::CreateDiskRequest* request,
                                       v1::Disk* response) override;
  grpc::ServerUnaryReactor* DeleteDisk(grpc::CallbackServerContext* context,
                                       const v1::DeleteDiskRequest* request,
                                       v1::DeleteDiskResponse* response) override;
  grpc::ServerUnaryReactor* MigrateVm(grpc::CallbackServerContext* context,
                                      const v1::MigrateVmRequest* request,
                                      v1::Migration* response) override;
  grpc::ServerUnaryReactor* GetMigration(grpc::CallbackServerContext* context,
                                         const v1::GetMigrationRequest* request,
                                         v1::Migration* response) override;
  grpc::ServerUnaryReactor* CancelMigration(grpc::CallbackServerContext* context,
                                            const v1::CancelMigrationRequest* request,
                                            v1::Migration* response) override;

 private:
  // A change to the VM request->name(), under its worker key, that answers
  // with the VM: the guard for `method` first, then `act`, whose VM
  // `response` shows. The shape of every handler that changes a VM.
  template <typename Request>
  grpc::ServerUnaryReactor* ChangeVm(grpc::CallbackServerContext* context, std::string_view method,
                                     const Request* request, v1::Vm* response, const Status& valid,
                                     std::function<StatusOr<compute::VmStatus>()> act);

  using PowerOp = StatusOr<compute::VmStatus> (*)(compute::VmManager&, const std::string&);
  grpc::ServerUnaryReactor* RunPower(grpc::CallbackServerContext* context, std::string_view method,
                                     const v1::VmPowerRequest* request, v1::Vm* response,
                                     PowerOp op);

  // Every guarded method (PowerOff, Shutdown, Reset, Pause, DeleteVm,
  // UpdateVm, MigrateVm) calls this first, on the worker, before it changes
  // anything: the guard decides which actions on which VMs are refused.
  Status Guard(const std::string& vm_name, std::string_view method,
               const v1::ControllerVmOverride& override) const;

  RpcRunner rpc_;
  compute::VmManager& vms_;
  compute::VmDeviceManager& devices_;
  compute::MigrationManager& migrations_;
  const compute::VmActionGuard* guard_;
};

}  // namespace hvagent::api
