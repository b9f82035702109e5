// VmService: each handler checks its request, then hands the work to the
// RpcRunner (reads unordered, changes under the VM's worker key and through
// request_id replay); conversions live in vm_convert.cc.
#include "hvagent/api/vm_service.h"

#include <set>

#include "hvagent/api/migration_convert.h"
#include "hvagent/api/vm_convert.h"
#include "hvagent/common/names.h"
#include "hvagent/common/uuid.h"
#include "hvagent/common/worker_keys.h"
#include "hvagent/compute/device_names.h"

namespace hvagent::api {

namespace {

// The NIC with `mac` of a VM, as the API shows it.
Status ShowNic(const compute::VmStatus& status, const std::string& mac, v1::Nic* out) {
  v1::Vm vm;
  VmStatusToProto(status, &vm);
  for (const v1::Nic& nic : vm.nics()) {
    if (nic.mac() == mac) {
      *out = nic;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(fmt::format("VM '{}' has no NIC {}", vm.spec().name(), mac));
}

}  // namespace

Status VmServiceImpl::Guard(const std::string& vm_name, std::string_view method,
                            const v1::ControllerVmOverride& override) const {
  if (guard_ == nullptr) return absl::OkStatus();
  return guard_->CheckVmAction(vm_name, method, {override.force(), override.reason()});
}

template <typename Request>
grpc::ServerUnaryReactor* VmServiceImpl::ChangeVm(
    grpc::CallbackServerContext* context, std::string_view method, const Request* request,
    v1::Vm* response, const Status& valid, std::function<StatusOr<compute::VmStatus>()> act) {
  return rpc_.Change(
      context, method, *request, response, worker_keys::Vm(request->name()), valid,
      [this, request, response, method = std::string(method), act = std::move(act)]() -> Status {
        HVAGENT_RETURN_IF_ERROR(Guard(request->name(), method, request->controller_vm_override()));
        HVAGENT_ASSIGN_OR_RETURN(const compute::VmStatus vm, act());
        VmStatusToProto(vm, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::CreateVm(grpc::CallbackServerContext* context,
                                                  const v1::CreateVmRequest* request,
                                                  v1::Vm* response) {
  auto config = VmConfigFromSpec(request->spec());
  // Both taken before `config` moves into the work.
  const Status valid = config.status();
  const std::string key = config.ok() ? worker_keys::Vm(config->name) : "";
  return rpc_.Change(
      context, __func__, *request, response, key, valid,
      [this, response, config = std::move(config)](Intent& intent) -> Status {
        compute::VmConfig wanted = *config;
        HVAGENT_ASSIGN_OR_RETURN(wanted.uuid, intent.Generate("uuid", NewUuid));
        std::set<std::string> macs;  // this VM's, given or made
        for (const compute::NicConfig& nic : wanted.nics) macs.insert(nic.mac);
        for (size_t i = 0; i < wanted.nics.size(); ++i) {
          if (!wanted.nics[i].mac.empty()) continue;
          HVAGENT_ASSIGN_OR_RETURN(
              wanted.nics[i].mac,
              intent.Generate(fmt::format("nics[{}].mac", i), [&] { return vms_.FreshMac(macs); }));
          macs.insert(wanted.nics[i].mac);
        }
        auto vm = vms_.Create(wanted);
        if (intent.MadeBefore(vm.status())) {
          // The cut-short call's VM is the one with the UUID it generated.
          auto made = vms_.Get(wanted.name);
          if (made.ok() && made->config.uuid == wanted.uuid) vm = std::move(made);
        }
        if (!vm.ok()) return vm.status();
        VmStatusToProto(*vm, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::GetVm(grpc::CallbackServerContext* context,
                                               const v1::GetVmRequest* request, v1::Vm* response) {
  return rpc_.ReadOne(
      context, ValidateResourceName("name", request->name()),
      [this, request] { return vms_.Get(request->name()); }, VmStatusToProto, response);
}

grpc::ServerUnaryReactor* VmServiceImpl::ListVms(grpc::CallbackServerContext* context,
                                                 const v1::ListVmsRequest* request,
                                                 v1::ListVmsResponse* response) {
  return rpc_.Read(
      context, ValidatePage(request->page().page_size(), request->page().page_token()),
      [this, request, response]() -> Status {
        // This page and the first VM after it (whether there is a next page).
        const uint32_t page_size = request->page().page_size();
        HVAGENT_ASSIGN_OR_RETURN(
            auto vms, vms_.List(request->include_external(), request->page().page_token(),
                                size_t{PageLimit(page_size)} + 1));
        response->mutable_page()->set_next_page_token(Paginate(
            vms, page_size, request->page().page_token(),
            [](const compute::VmStatus& vm) -> const std::string& { return vm.config.name; },
            [response](const compute::VmStatus& vm) { VmStatusToProto(vm, response->add_vms()); }));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteVm(grpc::CallbackServerContext* context,
                                                  const v1::DeleteVmRequest* request,
                                                  v1::DeleteVmResponse* response) {
  return rpc_.Change(context, __func__, *request, response, worker_keys::Vm(request->name()),
                     ValidateResourceName("name", request->name()), [this, request]() -> Status {
                       HVAGENT_RETURN_IF_ERROR(
                           Guard(request->name(), "DeleteVm", request->controller_vm_override()));
                       return vms_.Delete(request->name(), request->force(), request->keep_disks());
                     });
}

grpc::ServerUnaryReactor* VmServiceImpl::RunPower(grpc::CallbackServerContext* context,
                                                  std::string_view method,
                                                  const v1::VmPowerRequest* request,
                                                  v1::Vm* response, PowerOp op) {
  return ChangeVm(context, method, request, response, ValidateResourceName("name", request->name()),
                  [this, request, op] { return op(vms_, request->name()); });
}

namespace {

// A power action as a plain function, not a pointer to member: GCC 12's
// -fsanitize=vptr checks a call through a pointer to a non-virtual member of
// a polymorphic class against a register it loads only for a virtual one, so
// the ASan build crashed on every PowerOn (a compiler bug, seen in its code).
template <StatusOr<compute::VmStatus> (compute::VmManager::*kAction)(const std::string&)>
StatusOr<compute::VmStatus> Power(compute::VmManager& vms, const std::string& name) {
  return (vms.*kAction)(name);
}

}  // namespace

grpc::ServerUnaryReactor* VmServiceImpl::PowerOn(grpc::CallbackServerContext* context,
                                                 const v1::VmPowerRequest* request,
                                                 v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::PowerOn>);
}
grpc::ServerUnaryReactor* VmServiceImpl::PowerOff(grpc::CallbackServerContext* context,
                                                  const v1::VmPowerRequest* request,
                                                  v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::PowerOff>);
}
grpc::ServerUnaryReactor* VmServiceImpl::Reboot(grpc::CallbackServerContext* context,
                                                const v1::VmPowerRequest* request,
                                                v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::Reboot>);
}
grpc::ServerUnaryReactor* VmServiceImpl::Reset(grpc::CallbackServerContext* context,
                                               const v1::VmPowerRequest* request,
                                               v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::Reset>);
}
grpc::ServerUnaryReactor* VmServiceImpl::Pause(grpc::CallbackServerContext* context,
                                               const v1::VmPowerRequest* request,
                                               v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::Pause>);
}
grpc::ServerUnaryReactor* VmServiceImpl::Resume(grpc::CallbackServerContext* context,
                                                const v1::VmPowerRequest* request,
                                                v1::Vm* response) {
  return RunPower(context, __func__, request, response, &Power<&compute::VmManager::Resume>);
}

grpc::ServerUnaryReactor* VmServiceImpl::UpdateVm(grpc::CallbackServerContext* context,
                                                  const v1::UpdateVmRequest* request,
                                                  v1::Vm* response) {
  Status valid = ValidateResourceName("name", request->name());
  valid.Update(ValidateExpectedGeneration(request->expected_generation()));
  compute::VmUpdate update{.expected_generation = request->expected_generation()};
  if (request->num_vcpus() != 0) update.vcpus = request->num_vcpus();
  if (request->num_cores_per_vcpu() != 0) update.cores_per_socket = request->num_cores_per_vcpu();
  if (request->memory_bytes() != 0) update.memory_bytes = request->memory_bytes();
  if (request->has_labels()) {
    update.labels.emplace(request->labels().entries().begin(), request->labels().entries().end());
  }
  return rpc_.Change(context, __func__, *request, response, worker_keys::Vm(request->name()), valid,
                     [this, request, response, update](Intent& intent) mutable -> Status {
                       HVAGENT_RETURN_IF_ERROR(
                           Guard(request->name(), "UpdateVm", request->controller_vm_override()));
                       update.resuming = intent.resuming();
                       HVAGENT_ASSIGN_OR_RETURN(const compute::VmStatus vm,
                                                vms_.Update(request->name(), update));
                       VmStatusToProto(vm, response);
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* VmServiceImpl::CreateNic(grpc::CallbackServerContext* context,
                                                   const v1::CreateNicRequest* request,
                                                   v1::Nic* response) {
  Status valid = ValidateResourceName("vm_name", request->vm_name());
  auto nic = NicConfigFromSpec("spec", request->spec());
  valid.Update(nic.status());
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::Vm(request->vm_name()), valid,
      [this, request, response, nic = std::move(nic)](Intent& intent) -> Status {
        compute::NicConfig wanted = *nic;
        if (wanted.mac.empty()) {
          HVAGENT_ASSIGN_OR_RETURN(wanted.mac,
                                   intent.Generate("mac", [this] { return vms_.FreshMac(); }));
        }
        auto vm = devices_.AddNic(request->vm_name(), wanted);
        if (intent.MadeBefore(vm.status())) {
          // The VM has the NIC: the cut-short call added it.
          auto made = vms_.Get(request->vm_name());
          if (made.ok() && ShowNic(*made, wanted.mac, response).ok()) return absl::OkStatus();
        }
        if (!vm.ok()) return vm.status();
        return ShowNic(*vm, wanted.mac, response);
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::GetNic(grpc::CallbackServerContext* context,
                                                const v1::GetNicRequest* request,
                                                v1::Nic* response) {
  return rpc_.Read(context, ValidateResourceName("vm_name", request->vm_name()),
                   [this, request, response]() -> Status {
                     HVAGENT_ASSIGN_OR_RETURN(auto vm, vms_.Get(request->vm_name()));
                     return ShowNic(vm, request->mac(), response);
                   });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteNic(grpc::CallbackServerContext* context,
                                                   const v1::DeleteNicRequest* request,
                                                   v1::DeleteNicResponse* response) {
  Status valid = ValidateResourceName("vm_name", request->vm_name());
  if (request->mac().empty()) valid.Update(absl::InvalidArgumentError("mac: is required"));
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::Vm(request->vm_name()), valid,
      [this, request] { return devices_.RemoveNic(request->vm_name(), request->mac()).status(); });
}

grpc::ServerUnaryReactor* VmServiceImpl::Shutdown(grpc::CallbackServerContext* context,
                                                  const v1::ShutdownVmRequest* request,
                                                  v1::Vm* response) {
  Status valid = ValidateResourceName("name", request->name());
  if (request->timeout_seconds() > 3600) {
    valid.Update(absl::InvalidArgumentError(fmt::format(
        "timeout_seconds: must be 0 (120) to 3600 (is {})", request->timeout_seconds())));
  }
  return ChangeVm(context, __func__, request, response, valid, [this, request] {
    const uint32_t seconds = request->timeout_seconds() == 0 ? 120 : request->timeout_seconds();
    return vms_.Shutdown(request->name(), std::chrono::seconds(seconds),
                         request->power_off_on_timeout());
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::UpdateNic(grpc::CallbackServerContext* context,
                                                   const v1::UpdateNicRequest* request,
                                                   v1::Nic* response) {
  Status valid = ValidateResourceName("vm_name", request->vm_name());
  if (request->mac().empty()) valid.Update(absl::InvalidArgumentError("mac: is required"));
  if (!request->spec().mac().empty() && request->spec().mac() != request->mac()) {
    valid.Update(absl::InvalidArgumentError("spec.mac: a NIC's MAC cannot change"));
  }
  auto nic = NicConfigFromSpec("spec", request->spec());
  valid.Update(nic.status());
  return rpc_.Change(context, __func__, *request, response, worker_keys::Vm(request->vm_name()),
                     valid, [this, request, response, nic = std::move(nic)]() -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(
                           auto vm, devices_.UpdateNic(request->vm_name(), request->mac(), *nic));
                       return ShowNic(vm, request->mac(), response);
                     });
}

grpc::ServerUnaryReactor* VmServiceImpl::CreateDisk(grpc::CallbackServerContext* context,
                                                    const v1::CreateDiskRequest* request,
                                                    v1::Disk* response) {
  Status valid = ValidateResourceName("vm_name", request->vm_name());
  auto disk = DiskConfigFromSpec("spec", request->spec());
  valid.Update(disk.status());
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::Vm(request->vm_name()), valid,
      [this, request, response, disk = std::move(disk)](Intent& intent) -> Status {
        // The target is generated (the VM's next free one) and recorded: a
        // retry of a cut-short call finds its disk there instead of adding one.
        HVAGENT_ASSIGN_OR_RETURN(const compute::VmStatus before, vms_.Get(request->vm_name()));
        compute::DiskConfig wanted = *disk;
        HVAGENT_ASSIGN_OR_RETURN(wanted.target, intent.Generate("target", [&] {
          return compute::NextDiskTarget(before.config.disks);
        }));
        if (intent.resuming()) {
          for (const compute::DiskConfig& existing : before.config.disks) {
            if (existing.target != wanted.target) continue;
            DiskToProto(existing, response);
            return absl::OkStatus();
          }
        }
        HVAGENT_ASSIGN_OR_RETURN(auto vm,
                                 devices_.AddDisk(request->vm_name(), wanted, intent.resuming()));
        for (const compute::DiskConfig& added : vm.config.disks) {
          if (added.target == wanted.target) DiskToProto(added, response);
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteDisk(grpc::CallbackServerContext* context,
                                                    const v1::DeleteDiskRequest* request,
                                                    v1::DeleteDiskResponse* response) {
  Status valid = ValidateResourceName("vm_name", request->vm_name());
  if (request->device_id().empty()) {
    valid.Update(absl::InvalidArgumentError("device_id: is required (e.g. \"sdb\")"));
  }
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::Vm(request->vm_name()), valid,
      [this, request] {
        return devices_.RemoveDisk(request->vm_name(), request->device_id(), request->keep_volume())
            .status();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::MigrateVm(grpc::CallbackServerContext* context,
                                                   const v1::MigrateVmRequest* request,
                                                   v1::Migration* response) {
  auto migration = MigrationRequestFromProto(*request);
  const Status valid = migration.status();
  // The checks (here and on the destination) run under the VM's key; the
  // migration itself then runs as an operation, holding no worker.
  // The id is recorded before the migration starts: a retry of a call cut
  // short answers with the migration it began (MigrationManager::Start).
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::Vm(request->name()), valid,
      [this, request, response, migration = std::move(migration)](Intent& intent) -> Status {
        compute::MigrationRequest wanted = *migration;
        HVAGENT_ASSIGN_OR_RETURN(wanted.id, intent.Generate("id", NewUuid));
        HVAGENT_RETURN_IF_ERROR(
            Guard(request->name(), "MigrateVm", request->controller_vm_override()));
        HVAGENT_ASSIGN_OR_RETURN(auto started, migrations_.Start(wanted));
        MigrationToProto(started, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::GetMigration(grpc::CallbackServerContext* context,
                                                      const v1::GetMigrationRequest* request,
                                                      v1::Migration* response) {
  const Status valid =
      request->id().empty() ? absl::InvalidArgumentError("id: is required") : absl::OkStatus();
  return rpc_.ReadOne(
      context, valid, [this, request] { return migrations_.Get(request->id()); }, MigrationToProto,
      response);
}

grpc::ServerUnaryReactor* VmServiceImpl::CancelMigration(grpc::CallbackServerContext* context,
                                                         const v1::CancelMigrationRequest* request,
                                                         v1::Migration* response) {
  const Status valid =
      request->id().empty() ? absl::InvalidArgumentError("id: is required") : absl::OkStatus();
  return rpc_.Change(context, __func__, *request, response, worker_keys::Migration(request->id()),
                     valid, [this, request, response](Intent& intent) -> Status {
                       auto migration = migrations_.Cancel(request->id());
                       // A retry of a cancel cut short finds the migration
                       // cancelled: by that call, so it is done.
                       if (intent.resuming() &&
                           migration.status().code() == absl::StatusCode::kFailedPrecondition) {
                         auto now = migrations_.Get(request->id());
                         if (now.ok() && now->state == OperationState::kCancelled) migration = now;
                       }
                       HVAGENT_RETURN_IF_ERROR(migration.status());
                       MigrationToProto(*migration, response);
                       return absl::OkStatus();
                     });
}

}  // namespace hvagent::api
