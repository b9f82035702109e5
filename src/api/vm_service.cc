#include "hvagent/api/vm_service.h"

#include <google/protobuf/util/time_util.h>

#include "hvagent/api/unary_call.h"
#include "hvagent/api/validation.h"
#include "hvagent/network/nic_qos.h"

namespace hvagent::api {

namespace {

std::string VmKey(const std::string& name) { return compute::VmOrderKey(name); }

}  // namespace

v1::PowerState ToPowerState(libvirt::DomainState state) {
  using libvirt::DomainState;
  switch (state) {
    case DomainState::kRunning:
    case DomainState::kBlocked: return v1::POWER_STATE_ON;
    case DomainState::kPaused: return v1::POWER_STATE_PAUSED;
    case DomainState::kShuttingDown: return v1::POWER_STATE_SHUTTING_DOWN;
    case DomainState::kShutOff: return v1::POWER_STATE_OFF;
    case DomainState::kCrashed: return v1::POWER_STATE_CRASHED;
    case DomainState::kSuspended: return v1::POWER_STATE_SUSPENDED;
    case DomainState::kNoState: break;
  }
  return v1::POWER_STATE_UNSPECIFIED;
}

StatusOr<compute::NicConfig> NicConfigFromSpec(const std::string& field, const v1::NicSpec& nic) {
  if (nic.type() == v1::NIC_TYPE_DIRECT || nic.type() == v1::NIC_TYPE_NETWORK_FUNCTION) {
    return absl::UnimplementedError(
        fmt::format("{}.type: only normal NICs are supported yet", field));
  }
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName(field + ".network", nic.network()));
  compute::NicConfig out{.mac = nic.mac(), .network = nic.network()};
  out.qos = {.ingress_rate_kbps = nic.qos().ingress_rate_kbps(),
             .ingress_burst_kb = nic.qos().ingress_burst_kb(),
             .egress_rate_kbps = nic.qos().egress_rate_kbps()};
  if (Status qos = network::ValidateNicQos({.ingress_rate_kbps = out.qos.ingress_rate_kbps,
                                            .ingress_burst_kb = out.qos.ingress_burst_kb,
                                            .egress_rate_kbps = out.qos.egress_rate_kbps});
      !qos.ok()) {
    return Status(qos.code(), fmt::format("{}.qos.{}", field, MessageOf(qos)));
  }
  if (!nic.model().empty()) out.model = nic.model();
  if (nic.vlan_mode() == v1::VLAN_MODE_TRUNKED) {
    out.vlan_mode = compute::VlanMode::kTrunked;
    out.trunked_vlans.assign(nic.trunked_vlans().begin(), nic.trunked_vlans().end());
  } else if (nic.trunked_vlans_size() > 0) {
    return absl::InvalidArgumentError(
        fmt::format("{}.trunked_vlans: only a VLAN_MODE_TRUNKED NIC carries trunked VLANs", field));
  }
  return out;
}

StatusOr<compute::DiskConfig> DiskConfigFromSpec(const std::string& field,
                                                 const v1::DiskSpec& disk) {
  compute::DiskConfig out;
  switch (disk.bus()) {
    case v1::DISK_BUS_VIRTIO: out.bus = compute::DiskBus::kVirtio; break;
    case v1::DISK_BUS_SATA: out.bus = compute::DiskBus::kSata; break;
    case v1::DISK_BUS_IDE: out.bus = compute::DiskBus::kIde; break;
    default: out.bus = compute::DiskBus::kScsi; break;
  }
  out.cdrom = disk.cdrom();
  out.read_only = disk.read_only() || disk.cdrom();
  if (disk.format() == v1::DISK_FORMAT_QCOW2) out.format = compute::DiskFormat::kQcow2;
  switch (disk.source_case()) {
    case v1::DiskSpec::kCreateSizeBytes:
      if (disk.create_size_bytes() < (1ULL << 20)) {
        return absl::InvalidArgumentError(
            fmt::format("{}.create_size_bytes: must be at least 1 MiB", field));
      }
      if (disk.cdrom()) {
        return absl::InvalidArgumentError(fmt::format(
            "{}.create_size_bytes: a cdrom takes an existing image (file_path)", field));
      }
      out.agent_created = true;
      out.size_bytes = disk.create_size_bytes();
      break;
    case v1::DiskSpec::kFilePath: out.path = disk.file_path(); break;
    case v1::DiskSpec::kBlockDevice:
      out.source_type = compute::DiskSourceType::kBlock;
      out.path = disk.block_device();
      break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("{}: one of create_size_bytes, file_path, block_device is required", field));
  }
  return out;
}

StatusOr<compute::VmConfig> VmConfigFromSpec(const v1::VmSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName("spec.name", spec.name()));
  if (spec.num_vcpus() == 0) {
    return absl::InvalidArgumentError("spec.num_vcpus: must be at least 1");
  }
  compute::VmConfig config;
  config.name = spec.name();
  config.vcpus = spec.num_vcpus();
  config.cores_per_socket = spec.num_cores_per_vcpu() == 0 ? 1 : spec.num_cores_per_vcpu();
  config.threads_per_core = spec.num_threads_per_core() == 0 ? 1 : spec.num_threads_per_core();
  config.memory_bytes = spec.memory_bytes();
  if (!spec.machine_type().empty()) config.machine = spec.machine_type();
  switch (spec.boot().device()) {
    case v1::BOOT_DEVICE_CDROM: config.boot = compute::BootDevice::kCdrom; break;
    case v1::BOOT_DEVICE_NETWORK: config.boot = compute::BootDevice::kNetwork; break;
    case v1::BOOT_DEVICE_KERNEL: config.boot = compute::BootDevice::kKernel; break;
    default: config.boot = compute::BootDevice::kDisk; break;
  }
  config.kernel_path = spec.boot().kernel_path();
  config.initrd_path = spec.boot().initrd_path();
  config.kernel_cmdline = spec.boot().kernel_cmdline();
  for (int i = 0; i < spec.nics_size(); ++i) {
    HVAGENT_ASSIGN_OR_RETURN(compute::NicConfig nic,
                             NicConfigFromSpec(fmt::format("spec.nics[{}]", i), spec.nics(i)));
    config.nics.push_back(std::move(nic));
  }
  for (int i = 0; i < spec.disks_size(); ++i) {
    HVAGENT_ASSIGN_OR_RETURN(compute::DiskConfig disk,
                             DiskConfigFromSpec(fmt::format("spec.disks[{}]", i), spec.disks(i)));
    config.disks.push_back(std::move(disk));
  }
  for (const auto& [key, value] : spec.labels().entries()) config.labels[key] = value;
  return config;
}

void DiskToProto(const compute::DiskConfig& disk, v1::Disk* out) {
  out->set_device_id(disk.target);
  out->set_path(disk.path);
  out->set_size_bytes(disk.size_bytes);
  out->set_agent_created(disk.agent_created);
  v1::DiskSpec* spec = out->mutable_spec();
  switch (disk.bus) {
    case compute::DiskBus::kScsi: spec->set_bus(v1::DISK_BUS_SCSI); break;
    case compute::DiskBus::kVirtio: spec->set_bus(v1::DISK_BUS_VIRTIO); break;
    case compute::DiskBus::kSata: spec->set_bus(v1::DISK_BUS_SATA); break;
    case compute::DiskBus::kIde: spec->set_bus(v1::DISK_BUS_IDE); break;
  }
  spec->set_format(disk.format == compute::DiskFormat::kQcow2 ? v1::DISK_FORMAT_QCOW2
                                                              : v1::DISK_FORMAT_RAW);
  spec->set_cdrom(disk.cdrom);
  spec->set_read_only(disk.read_only);
  if (disk.agent_created) {
    spec->set_create_size_bytes(disk.size_bytes);
  } else if (disk.source_type == compute::DiskSourceType::kBlock) {
    spec->set_block_device(disk.path);
  } else {
    spec->set_file_path(disk.path);
  }
}

void VmStatusToProto(const compute::VmStatus& status, v1::Vm* out) {
  const compute::VmConfig& c = status.config;
  out->set_uuid(c.uuid);
  out->set_power_state(ToPowerState(status.state));
  out->set_external(c.external);
  out->set_cpu_time_ns(status.cpu_time_ns);
  out->set_memory_used_bytes(status.memory_used_bytes);
  out->set_generation(c.generation);
  out->set_console_log_path(c.console_log_path);
  if (status.started_unix_ms) {
    *out->mutable_started() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(*status.started_unix_ms);
  }
  v1::VmSpec* spec = out->mutable_spec();
  spec->set_name(c.name);
  spec->set_num_vcpus(c.vcpus);
  spec->set_num_cores_per_vcpu(c.cores_per_socket);
  spec->set_num_threads_per_core(c.threads_per_core);
  spec->set_memory_bytes(c.memory_bytes);
  spec->set_machine_type(c.machine);
  v1::BootConfig* boot = spec->mutable_boot();
  switch (c.boot) {
    case compute::BootDevice::kDisk: boot->set_device(v1::BOOT_DEVICE_DISK); break;
    case compute::BootDevice::kCdrom: boot->set_device(v1::BOOT_DEVICE_CDROM); break;
    case compute::BootDevice::kNetwork: boot->set_device(v1::BOOT_DEVICE_NETWORK); break;
    case compute::BootDevice::kKernel: boot->set_device(v1::BOOT_DEVICE_KERNEL); break;
  }
  boot->set_kernel_path(c.kernel_path);
  boot->set_initrd_path(c.initrd_path);
  boot->set_kernel_cmdline(c.kernel_cmdline);
  for (const auto& [key, value] : c.labels)
    (*spec->mutable_labels()->mutable_entries())[key] = value;
  for (const compute::NicConfig& nic : c.nics) {
    v1::Nic* n = out->add_nics();
    n->set_mac(nic.mac);
    n->set_tap(nic.tap);
    n->set_bridge(nic.bridge);
    v1::NicSpec* s = n->mutable_spec();
    s->set_network(nic.network);
    s->set_mac(nic.mac);
    s->set_model(nic.model);
    s->set_vlan_mode(nic.vlan_mode == compute::VlanMode::kTrunked ? v1::VLAN_MODE_TRUNKED
                                                                  : v1::VLAN_MODE_ACCESS);
    for (const uint32_t vlan : nic.trunked_vlans) s->add_trunked_vlans(vlan);
    s->set_type(v1::NIC_TYPE_NORMAL);
    s->mutable_qos()->set_ingress_rate_kbps(nic.qos.ingress_rate_kbps);
    s->mutable_qos()->set_ingress_burst_kb(nic.qos.ingress_burst_kb);
    s->mutable_qos()->set_egress_rate_kbps(nic.qos.egress_rate_kbps);
    *spec->add_nics() = *s;
  }
  for (const compute::DiskConfig& disk : c.disks) {
    DiskToProto(disk, out->add_disks());
    *spec->add_disks() = out->disks(out->disks_size() - 1).spec();
  }
}

grpc::ServerUnaryReactor* VmServiceImpl::CreateVm(grpc::CallbackServerContext* context,
                                                  const v1::CreateVmRequest* request,
                                                  v1::Vm* response) {
  auto config = VmConfigFromSpec(request->spec());
  Status valid = ValidateRequestId(request->request_id());
  if (valid.ok()) valid = config.status();
  if (!valid.ok()) return FinishNow(context, valid);
  const std::string key = VmKey(config->name);  // before config moves into the task
  return RunOnWorker(context, pool_, key, [this, request, response, config = *std::move(config)] {
    return replay_.Run("/hvagent.v1.VmService/CreateVm", request->request_id(), *request, response,
                       [&]() -> Status {
                         HVAGENT_ASSIGN_OR_RETURN(auto vm, vms_.Create(config));
                         VmStatusToProto(vm, response);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::GetVm(grpc::CallbackServerContext* context,
                                               const v1::GetVmRequest* request, v1::Vm* response) {
  if (Status valid = ValidateResourceName("name", request->name()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(auto vm, vms_.Get(request->name()));
    VmStatusToProto(vm, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::ListVms(grpc::CallbackServerContext* context,
                                                 const v1::ListVmsRequest* request,
                                                 v1::ListVmsResponse* response) {
  if (Status valid = ValidatePageSize(request->page().page_size()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(auto vms, vms_.List(request->include_external()));
    const uint32_t page_size = request->page().page_size() == 0 ? 100 : request->page().page_size();
    const std::string& after = request->page().page_token();
    for (const auto& vm : vms) {
      if (!after.empty() && vm.config.name <= after) continue;
      if (static_cast<uint32_t>(response->vms_size()) == page_size) {
        response->mutable_page()->set_next_page_token(
            response->vms(response->vms_size() - 1).spec().name());
        break;
      }
      VmStatusToProto(vm, response->add_vms());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteVm(grpc::CallbackServerContext* context,
                                                  const v1::DeleteVmRequest* request,
                                                  v1::DeleteVmResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->name()), [this, request, response] {
    return replay_.Run(
        "/hvagent.v1.VmService/DeleteVm", request->request_id(), *request, response,
        [&] { return vms_.Delete(request->name(), request->force(), request->keep_disks()); });
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::RunPower(grpc::CallbackServerContext* context,
                                                  const v1::VmPowerRequest* request,
                                                  v1::Vm* response, const char* method,
                                                  PowerOp op) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->name()), [this, request, response, method, op] {
    return replay_.Run(method, request->request_id(), *request, response, [&]() -> Status {
      HVAGENT_ASSIGN_OR_RETURN(auto vm, (vms_.*op)(request->name()));
      VmStatusToProto(vm, response);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::PowerOn(grpc::CallbackServerContext* context,
                                                 const v1::VmPowerRequest* request,
                                                 v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/PowerOn",
                  &compute::VmManager::PowerOn);
}
grpc::ServerUnaryReactor* VmServiceImpl::PowerOff(grpc::CallbackServerContext* context,
                                                  const v1::VmPowerRequest* request,
                                                  v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/PowerOff",
                  &compute::VmManager::PowerOff);
}
grpc::ServerUnaryReactor* VmServiceImpl::Reboot(grpc::CallbackServerContext* context,
                                                const v1::VmPowerRequest* request,
                                                v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/Reboot",
                  &compute::VmManager::Reboot);
}
grpc::ServerUnaryReactor* VmServiceImpl::Reset(grpc::CallbackServerContext* context,
                                               const v1::VmPowerRequest* request,
                                               v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/Reset",
                  &compute::VmManager::Reset);
}
grpc::ServerUnaryReactor* VmServiceImpl::Pause(grpc::CallbackServerContext* context,
                                               const v1::VmPowerRequest* request,
                                               v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/Pause",
                  &compute::VmManager::Pause);
}
grpc::ServerUnaryReactor* VmServiceImpl::Resume(grpc::CallbackServerContext* context,
                                                const v1::VmPowerRequest* request,
                                                v1::Vm* response) {
  return RunPower(context, request, response, "/hvagent.v1.VmService/Resume",
                  &compute::VmManager::Resume);
}

grpc::ServerUnaryReactor* VmServiceImpl::UpdateVm(grpc::CallbackServerContext* context,
                                                  const v1::UpdateVmRequest* request,
                                                  v1::Vm* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (request->expected_generation() < 0) {
    valid.Update(
        absl::InvalidArgumentError("expected_generation: must be 0 (no check) or positive"));
  }
  if (!valid.ok()) return FinishNow(context, valid);
  compute::VmUpdate update{.expected_generation = request->expected_generation()};
  if (request->num_vcpus() != 0) update.vcpus = request->num_vcpus();
  if (request->num_cores_per_vcpu() != 0) update.cores_per_socket = request->num_cores_per_vcpu();
  if (request->memory_bytes() != 0) update.memory_bytes = request->memory_bytes();
  if (request->has_labels()) {
    update.labels.emplace(request->labels().entries().begin(), request->labels().entries().end());
  }
  return RunOnWorker(context, pool_, VmKey(request->name()), [this, request, response, update] {
    return replay_.Run("/hvagent.v1.VmService/UpdateVm", request->request_id(), *request, response,
                       [&]() -> Status {
                         HVAGENT_ASSIGN_OR_RETURN(auto vm, vms_.Update(request->name(), update));
                         VmStatusToProto(vm, response);
                         return absl::OkStatus();
                       });
  });
}

namespace {
// The NIC with `mac` of a VM, as the API shows it.
Status FindNic(const v1::Vm& vm, const std::string& mac, v1::Nic* out) {
  for (const v1::Nic& nic : vm.nics()) {
    if (nic.mac() == mac) {
      *out = nic;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(fmt::format("VM '{}' has no NIC {}", vm.spec().name(), mac));
}
}  // namespace

grpc::ServerUnaryReactor* VmServiceImpl::CreateNic(grpc::CallbackServerContext* context,
                                                   const v1::CreateNicRequest* request,
                                                   v1::Nic* response) {
  auto nic = NicConfigFromSpec("spec", request->spec());
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("vm_name", request->vm_name()));
  if (valid.ok()) valid = nic.status();
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->vm_name()),
                     [this, request, response, nic = *std::move(nic)] {
                       return replay_.Run("/hvagent.v1.VmService/CreateNic", request->request_id(),
                                          *request, response, [&]() -> Status {
                                            HVAGENT_ASSIGN_OR_RETURN(
                                                auto vm, vms_.AddNic(request->vm_name(), nic));
                                            v1::Vm shown;
                                            VmStatusToProto(vm, &shown);
                                            // The new NIC is the last one.
                                            *response = shown.nics(shown.nics_size() - 1);
                                            return absl::OkStatus();
                                          });
                     });
}

grpc::ServerUnaryReactor* VmServiceImpl::GetNic(grpc::CallbackServerContext* context,
                                                const v1::GetNicRequest* request,
                                                v1::Nic* response) {
  if (Status valid = ValidateResourceName("vm_name", request->vm_name()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(auto vm, vms_.Get(request->vm_name()));
    v1::Vm shown;
    VmStatusToProto(vm, &shown);
    return FindNic(shown, request->mac(), response);
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteNic(grpc::CallbackServerContext* context,
                                                   const v1::DeleteNicRequest* request,
                                                   v1::DeleteNicResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("vm_name", request->vm_name()));
  if (request->mac().empty()) valid.Update(absl::InvalidArgumentError("mac: is required"));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->vm_name()), [this, request, response] {
    return replay_.Run(
        "/hvagent.v1.VmService/DeleteNic", request->request_id(), *request, response,
        [&]() -> Status { return vms_.RemoveNic(request->vm_name(), request->mac()).status(); });
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::Shutdown(grpc::CallbackServerContext* context,
                                                  const v1::ShutdownVmRequest* request,
                                                  v1::Vm* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (request->timeout_seconds() > 3600) {
    valid.Update(absl::InvalidArgumentError(fmt::format(
        "timeout_seconds: must be 0 (120) to 3600 (is {})", request->timeout_seconds())));
  }
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->name()), [this, request, response] {
    return replay_.Run("/hvagent.v1.VmService/Shutdown", request->request_id(), *request, response,
                       [&]() -> Status {
                         const uint32_t seconds =
                             request->timeout_seconds() == 0 ? 120 : request->timeout_seconds();
                         HVAGENT_ASSIGN_OR_RETURN(
                             auto vm, vms_.Shutdown(request->name(), std::chrono::seconds(seconds),
                                                    request->power_off_on_timeout()));
                         VmStatusToProto(vm, response);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* VmServiceImpl::UpdateNic(grpc::CallbackServerContext* context,
                                                   const v1::UpdateNicRequest* request,
                                                   v1::Nic* response) {
  auto nic = NicConfigFromSpec("spec", request->spec());
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("vm_name", request->vm_name()));
  if (request->mac().empty()) valid.Update(absl::InvalidArgumentError("mac: is required"));
  if (!request->spec().mac().empty() && request->spec().mac() != request->mac()) {
    valid.Update(absl::InvalidArgumentError("spec.mac: a NIC's MAC cannot change"));
  }
  if (valid.ok()) valid = nic.status();
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(
      context, pool_, VmKey(request->vm_name()), [this, request, response, nic = *std::move(nic)] {
        return replay_.Run("/hvagent.v1.VmService/UpdateNic", request->request_id(), *request,
                           response, [&]() -> Status {
                             HVAGENT_ASSIGN_OR_RETURN(
                                 auto vm, vms_.UpdateNic(request->vm_name(), request->mac(), nic));
                             v1::Vm shown;
                             VmStatusToProto(vm, &shown);
                             return FindNic(shown, request->mac(), response);
                           });
      });
}

grpc::ServerUnaryReactor* VmServiceImpl::CreateDisk(grpc::CallbackServerContext* context,
                                                    const v1::CreateDiskRequest* request,
                                                    v1::Disk* response) {
  auto disk = DiskConfigFromSpec("spec", request->spec());
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("vm_name", request->vm_name()));
  if (valid.ok()) valid = disk.status();
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->vm_name()),
                     [this, request, response, disk = *std::move(disk)] {
                       return replay_.Run("/hvagent.v1.VmService/CreateDisk", request->request_id(),
                                          *request, response, [&]() -> Status {
                                            HVAGENT_ASSIGN_OR_RETURN(
                                                auto vm, vms_.AddDisk(request->vm_name(), disk));
                                            // The new disk is the last one.
                                            DiskToProto(vm.config.disks.back(), response);
                                            return absl::OkStatus();
                                          });
                     });
}

grpc::ServerUnaryReactor* VmServiceImpl::DeleteDisk(grpc::CallbackServerContext* context,
                                                    const v1::DeleteDiskRequest* request,
                                                    v1::DeleteDiskResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("vm_name", request->vm_name()));
  if (request->device_id().empty()) {
    valid.Update(absl::InvalidArgumentError("device_id: is required (e.g. \"sdb\")"));
  }
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, VmKey(request->vm_name()), [this, request, response] {
    return replay_.Run(
        "/hvagent.v1.VmService/DeleteDisk", request->request_id(), *request, response,
        [&]() -> Status {
          return vms_.RemoveDisk(request->vm_name(), request->device_id(), request->keep_volume())
              .status();
        });
  });
}

}  // namespace hvagent::api
