#include "hvagent/compute/vm_device_manager.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "hvagent/compute/device_names.h"
#include "hvagent/compute/device_xml.h"
#include "hvagent/compute/domain_xml.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

// Takes the device whose `key` is `wanted` out of `config`'s `list`, with its
// XML as `config` defines it (`device_xml`); NOT_FOUND naming it as `kind`
// ("NIC", "disk") when the VM has none.
template <typename Device>
StatusOr<std::pair<Device, std::string>> TakeDevice(
    VmConfig& config, std::vector<Device> VmConfig::*list, std::string Device::*key,
    const std::string& wanted,
    StatusOr<std::string> (*device_xml)(const VmConfig&, const std::string&),
    std::string_view kind) {
  std::vector<Device>& devices = config.*list;
  const auto it = std::find_if(devices.begin(), devices.end(),
                               [&](const Device& d) { return d.*key == wanted; });
  if (it == devices.end()) {
    return absl::NotFoundError(fmt::format("VM '{}' has no {} {}", config.name, kind, wanted));
  }
  HVAGENT_ASSIGN_OR_RETURN(std::string xml, device_xml(config, wanted));
  Device device = *it;
  devices.erase(it);
  return std::make_pair(std::move(device), std::move(xml));
}

// Why a running VM with fewer than nics_per_vm NICs has no PCI slot for
// another: slots reserved for fewer NICs at its last power-on, or taken by
// hot-plugged virtio disks.
std::string NoSlotForNic(const VmConfig& config, uint32_t max_nics) {
  if (config.nic_slots < max_nics) {
    return fmt::format(
        "VM '{}' has {} NICs and no free PCI slot for another while it runs: nics_per_vm is {}, "
        "but it was started with slots for {}; power it off and on to get all {}",
        config.name, config.nics.size(), max_nics, config.nic_slots, max_nics);
  }
  return fmt::format(
      "VM '{}' has {} NICs and no free PCI slot for another while it runs (nics_per_vm is {}; "
      "hot-plugged virtio disks take slots too)",
      config.name, config.nics.size(), max_nics);
}

// An undo that failed leaves something behind (a port, a live device): it is
// logged, and the reconciler's passes (leftover sweep, port reconcile) retry.
void LogFailedUndo(const Status& undone, std::string_view what, std::string_view vm) {
  if (!undone.ok()) {
    spdlog::error("VM '{}': undoing {} failed; the reconciler retries: {}", vm, what, undone);
  }
}

}  // namespace

StatusOr<VmStatus> VmDeviceManager::AddNic(const std::string& name, NicConfig nic) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  if (config.nics.size() + 1 > options_.limits.max_nics) {
    return absl::ResourceExhaustedError(fmt::format("VM '{}' has {} NICs: nics_per_vm is {}", name,
                                                    config.nics.size(), options_.limits.max_nics));
  }
  if (nic.mac.empty()) nic.mac = RandomMac();
  std::shared_lock network_use(domains_.network_use());
  for (const NicConfig& existing : config.nics) {
    if (existing.mac == nic.mac) {
      return absl::AlreadyExistsError(fmt::format("VM '{}' already has NIC {}", name, nic.mac));
    }
  }
  std::lock_guard mac_claims(domains_.mac_claims());
  HVAGENT_RETURN_IF_ERROR(domains_.CheckMacFree("spec.mac", nic.mac, config.uuid));
  // The leftover sweep must not take the port made below for a removed NIC's.
  std::shared_lock changes_in_flight(domains_.images_in_flight());
  if (Status resolved = networks_.ResolveInto(nic); !resolved.ok()) {
    return Status(resolved.code(), fmt::format("spec.network: {}", MessageOf(resolved)));
  }
  nic.tap = TapNameFor(config.uuid, nic.mac);
  // The NIC's own rules, named as the request names them ("spec.mac"), before
  // the VM's (which would say "spec.nics[N].mac").
  HVAGENT_RETURN_IF_ERROR(ValidateNicConfig(nic, "spec"));
  config.nics.push_back(nic);
  config.generation += 1;
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  const bool live = IsActive(state);
  if (live) {
    // The port first: the guest's first frame on the new NIC finds the switch.
    HVAGENT_RETURN_IF_ERROR(nics_.Attach(config.uuid, nic));
    HVAGENT_ASSIGN_OR_RETURN(const std::string device, NicDeviceXml(config, nic.mac));
    // Plugged already by a call cut short before its define: only the
    // definition is left to do (a second plug would give the guest two NICs).
    HVAGENT_ASSIGN_OR_RETURN(const bool plugged_before, vm.domain->HasLiveDevice(device));
    Status plugged = plugged_before ? absl::OkStatus() : vm.domain->AttachLiveDevice(device);
    if (!plugged.ok()) {
      LogFailedUndo(nics_.Detach(nic), "the new NIC's port", name);
      if (plugged.code() == absl::StatusCode::kResourceExhausted) {
        return absl::ResourceExhaustedError(NoSlotForNic(vm.config, options_.limits.max_nics));
      }
      return plugged;
    }
  }
  auto defined = domains_.hypervisor().DefineDomain(xml);
  if (!defined.ok()) {
    if (live) {
      HVAGENT_ASSIGN_OR_RETURN(const std::string device, NicDeviceXml(config, nic.mac));
      LogFailedUndo(vm.domain->DetachLiveDevice(device), "the NIC's hot-plug", name);
      LogFailedUndo(nics_.Detach(nic), "the new NIC's port", name);
    }
    return defined.status();
  }
  return domains_.StatusOf(**defined);
}

StatusOr<std::unique_ptr<HypervisorDomain>> VmDeviceManager::UnplugAndDefine(
    VmDomains::Owned& vm, VmConfig config, const std::string& device) {
  config.generation += 1;
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  const bool live = IsActive(state);
  // Unplugged already by a call cut short before its define: only the
  // definition is left to do.
  bool unplugged = false;
  if (live) {
    HVAGENT_ASSIGN_OR_RETURN(const bool plugged, vm.domain->HasLiveDevice(device));
    if (plugged) {
      HVAGENT_RETURN_IF_ERROR(vm.domain->DetachLiveDevice(device));
      unplugged = true;
    }
  }
  auto defined = domains_.hypervisor().DefineDomain(xml);
  // The definition still has the device: the running VM gets it back.
  if (!defined.ok() && unplugged) {
    LogFailedUndo(vm.domain->AttachLiveDevice(device), "the unplug", vm.config.name);
  }
  return defined;
}

StatusOr<VmStatus> VmDeviceManager::RemoveNic(const std::string& name, const std::string& mac) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  HVAGENT_ASSIGN_OR_RETURN(const auto taken, TakeDevice(config, &VmConfig::nics, &NicConfig::mac,
                                                        mac, &NicDeviceXml, "NIC"));
  const auto& [nic, device] = taken;
  HVAGENT_ASSIGN_OR_RETURN(const auto defined, UnplugAndDefine(vm, std::move(config), device));
  // The NIC is gone: that is the answer. A port left behind is the leftover
  // sweep's (VmReconciler::RemoveLeftovers).
  if (Status detached = nics_.Detach(nic); !detached.ok()) {
    spdlog::warn("VM '{}': NIC {} removed, but its port stays for the reconciler: {}", name, mac,
                 detached);
  }
  return domains_.StatusOf(*defined);
}

StatusOr<VmStatus> VmDeviceManager::UpdateNic(const std::string& name, const std::string& mac,
                                              const NicConfig& nic) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  const auto it = std::find_if(config.nics.begin(), config.nics.end(),
                               [&](const NicConfig& n) { return n.mac == mac; });
  if (it == config.nics.end()) {
    return absl::NotFoundError(fmt::format("VM '{}' has no NIC {}", name, mac));
  }
  if (!nic.model.empty() && nic.model != it->model) {
    return absl::InvalidArgumentError(fmt::format(
        "spec.model: a NIC's model cannot change ('{}' to '{}'); delete and re-create the NIC",
        it->model, nic.model));
  }
  if (nic.type != it->type) {
    return absl::InvalidArgumentError(
        "spec.type: a NIC's type cannot change; delete and re-create the NIC");
  }
  std::shared_lock network_use(domains_.network_use());
  NicConfig resolved = nic;
  if (Status found = networks_.ResolveInto(resolved); !found.ok()) {
    return Status(found.code(), fmt::format("spec.network: {}", MessageOf(found)));
  }
  if (resolved.bridge != it->bridge) {
    return absl::FailedPreconditionError(fmt::format(
        "spec.network: '{}' is on bridge '{}', the NIC's port is on '{}'; a NIC moves between "
        "networks of its own bridge only",
        nic.network, resolved.bridge, it->bridge));
  }
  const NicConfig before = *it;
  it->network = nic.network;
  it->role = nic.role;
  it->vlan_id = resolved.vlan_id;
  it->vlan_mode = nic.vlan_mode;
  it->trunked_vlans = nic.trunked_vlans;
  it->qos = nic.qos;
  config.generation += 1;
  HVAGENT_RETURN_IF_ERROR(ValidateNicConfig(*it, "spec"));
  HVAGENT_RETURN_IF_ERROR(ValidateVmConfig(config));
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  const bool live = IsActive(state);
  // The switch port is the NIC's VLAN configuration: on a running VM it is
  // changed in place (one transaction); the guest's link never drops.
  const bool qos_changes = it->qos != before.qos;
  auto restore = [&] {
    LogFailedUndo(nics_.Attach(config.uuid, before), "the NIC's port change", name);
    if (qos_changes) LogFailedUndo(nics_.ApplyQos(before), "the NIC's QoS change", name);
  };
  if (live) {
    HVAGENT_RETURN_IF_ERROR(nics_.Attach(config.uuid, *it));
    // Attach sets a QoS; clearing one is a change of its own.
    if (qos_changes && it->qos.empty()) {
      if (Status cleared = nics_.ApplyQos(*it); !cleared.ok()) {
        restore();
        return cleared;
      }
    }
  }
  auto defined = domains_.hypervisor().DefineDomain(xml);
  if (!defined.ok()) {
    if (live) restore();
    return defined.status();
  }
  return domains_.StatusOf(**defined);
}

StatusOr<VmStatus> VmDeviceManager::AddDisk(const std::string& name, DiskConfig disk,
                                            bool resuming) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  if (config.disks.size() + 1 > options_.limits.max_disks) {
    return absl::ResourceExhaustedError(fmt::format("VM '{}' has {} disks: disks_per_vm is {}",
                                                    name, config.disks.size(),
                                                    options_.limits.max_disks));
  }
  if (disk.size_bytes > options_.limits.max_disk_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("spec.create_size_bytes: {} exceeds disk_bytes {} (9 EB)", disk.size_bytes,
                    options_.limits.max_disk_bytes));
  }
  // Given: the target a call recorded in its intent, the same on its retry.
  if (disk.target.empty()) disk.target = NextDiskTarget(config.disks);
  for (const DiskConfig& existing : config.disks) {
    if (existing.target == disk.target) {
      return absl::AlreadyExistsError(
          fmt::format("VM '{}' already has disk {}", name, disk.target));
    }
  }
  if (disk.agent_created) {
    disk.path = CreatedDiskPath(options_.state_dir + "/disks", config.uuid, disk);
  }
  HVAGENT_RETURN_IF_ERROR(ValidateDiskConfig(disk, "spec", config.machine));
  HVAGENT_RETURN_IF_ERROR(paths_.CheckDisk("spec", disk));
  config.disks.push_back(disk);
  config.generation += 1;
  HVAGENT_RETURN_IF_ERROR(ValidateVmConfig(config));
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));
  HVAGENT_ASSIGN_OR_RETURN(const std::string device, DiskDeviceXml(config, disk.target));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  const bool live = IsActive(state);

  std::shared_lock images_in_flight(domains_.images_in_flight());
  auto remove_image = [&] {
    std::error_code ec;
    if (disk.agent_created) std::filesystem::remove(disk.path, ec);
  };
  if (disk.agent_created && resuming) {
    // No definition names it (the target is free): the cut-short add's.
    std::error_code ec;
    std::filesystem::remove(disk.path, ec);
  }
  if (disk.agent_created) HVAGENT_RETURN_IF_ERROR(images_.Create(disk));
  bool plugged_before = false;
  if (live) {
    HVAGENT_ASSIGN_OR_RETURN(plugged_before, vm.domain->HasLiveDevice(device));
  }
  if (live && !plugged_before) {
    if (Status plugged = vm.domain->AttachLiveDevice(device); !plugged.ok()) {
      remove_image();
      if (plugged.code() == absl::StatusCode::kResourceExhausted) {
        return absl::ResourceExhaustedError(fmt::format(
            "spec.bus: VM '{}' has no free PCI slot for another virtio disk while it runs (each "
            "takes one; bus scsi takes none, up to disks_per_vm {})",
            name, options_.limits.max_disks));
      }
      return plugged;
    }
  }
  auto defined = domains_.hypervisor().DefineDomain(xml);
  if (!defined.ok()) {
    if (live) LogFailedUndo(vm.domain->DetachLiveDevice(device), "the disk's hot-plug", name);
    remove_image();
    return defined.status();
  }
  spdlog::info("VM '{}': disk {} added ({})", name, disk.target, disk.path);
  return domains_.StatusOf(**defined);
}

StatusOr<VmStatus> VmDeviceManager::RemoveDisk(const std::string& name, const std::string& target,
                                               bool keep_volume) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  HVAGENT_ASSIGN_OR_RETURN(
      const auto taken,
      TakeDevice(config, &VmConfig::disks, &DiskConfig::target, target, &DiskDeviceXml, "disk"));
  const auto& [disk, device] = taken;
  HVAGENT_ASSIGN_OR_RETURN(const auto defined, UnplugAndDefine(vm, std::move(config), device));
  // The image goes last: only once no definition names it.
  if (disk.agent_created && !keep_volume) {
    std::error_code ec;
    if (!std::filesystem::remove(disk.path, ec) && ec) {
      spdlog::warn("VM '{}': disk {} removed, but its image '{}' stays: {}", name, target,
                   disk.path, ec.message());
    }
  }
  spdlog::info("VM '{}': disk {} removed", name, target);
  return domains_.StatusOf(*defined);
}

}  // namespace hvagent::compute
