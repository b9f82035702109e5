#include "hvagent/compute/vm_manager.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include "hvagent/common/unix_clock.h"
#include "hvagent/common/uuid.h"
#include "hvagent/compute/device_names.h"
#include "hvagent/compute/disk_image.h"
#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/machine_types.h"
#include "hvagent/compute/nic_attach.h"
#include "hvagent/compute/runtime_metadata.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

StatusOr<VmStatus> VmManager::Create(VmConfig config) {
  // Given: the UUID a call recorded in its intent, the same on its retry.
  if (config.uuid.empty()) config.uuid = NewUuid();
  HVAGENT_ASSIGN_OR_RETURN(config.domain_type, domains_.hypervisor().GuestDomainType());
  config.external = false;
  config.generation = 1;
  config.nic_slots = options_.limits.max_nics;
  config.console_log_path = fmt::format("{}/console/{}.log", options_.state_dir, config.uuid);
  for (NicConfig& nic : config.nics) {
    if (nic.mac.empty()) nic.mac = RandomMac();
    nic.tap = TapNameFor(config.uuid, nic.mac);
  }
  std::vector<DiskConfig> placed;
  for (DiskConfig& disk : config.disks) {
    disk.target = NextDiskTarget(placed);
    if (disk.agent_created && disk.path.empty()) {
      disk.path = CreatedDiskPath(options_.state_dir + "/disks", config.uuid, disk);
    }
    placed.push_back(disk);
  }
  // The host's limits first (a size over a maximum is RESOURCE_EXHAUSTED, not
  // a malformed request), then the rules, then what exists: each refusal
  // leaves nothing behind.
  HVAGENT_RETURN_IF_ERROR(CheckVmLimits(config, options_.limits));
  HVAGENT_RETURN_IF_ERROR(ValidateVmConfig(config));
  HVAGENT_RETURN_IF_ERROR(paths_.CheckVm(config));
  // libvirt would refuse an unknown machine type with its own words ("No PCI
  // buses available"): the field is named here instead.
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<std::string> machines,
                           domains_.hypervisor().MachineTypes());
  HVAGENT_RETURN_IF_ERROR(CheckMachineType("spec.machine_type", config.machine, machines));
  std::shared_lock network_use(domains_.network_use());
  for (size_t i = 0; i < config.nics.size(); ++i) {
    if (Status resolved = networks_.ResolveInto(config.nics[i]); !resolved.ok()) {
      return Status(resolved.code(),
                    fmt::format("spec.nics[{}].network: {}", i, MessageOf(resolved)));
    }
  }
  // One MAC, one NIC on this host: claimed from here until the define.
  std::lock_guard mac_claims(domains_.mac_claims());
  for (size_t i = 0; i < config.nics.size(); ++i) {
    HVAGENT_RETURN_IF_ERROR(domains_.CheckMacFree(fmt::format("spec.nics[{}].mac", i),
                                                  config.nics[i].mac, config.uuid));
  }
  // Nothing is made unless the hypervisor answers that the name is free.
  const auto existing = domains_.hypervisor().LookupDomain(config.name);
  if (existing.ok()) {
    return absl::AlreadyExistsError(fmt::format("VM '{}' already exists", config.name));
  }
  if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  if (DomainCpuPolicy* cpu = domains_.cpu_policy(); cpu != nullptr) {
    HVAGENT_ASSIGN_OR_RETURN(config.cpu_baseline_xml, cpu->CpuXmlFor(config));
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));

  // A sweep for leftover images must not take these for an interrupted
  // create's: they belong to a domain from the define on.
  std::shared_lock images_in_flight(domains_.images_in_flight());
  std::vector<std::string> created;
  auto undo = [&created] {
    std::error_code ec;
    for (const auto& path : created) std::filesystem::remove(path, ec);
  };
  for (const DiskConfig& disk : config.disks) {
    if (!disk.agent_created) continue;
    // An image named after this VM's UUID, which no domain has yet, is what
    // an earlier try of this same create (its intent) made before it was cut
    // short: made again from nothing.
    if (std::error_code exists; std::filesystem::remove(disk.path, exists)) {
      spdlog::info("VM '{}': image '{}' of a create cut short is made anew", config.name,
                   disk.path);
    }
    if (Status made = images_.Create(disk); !made.ok()) {
      undo();
      return made;
    }
    created.push_back(disk.path);
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir + "/console", ec);
  auto domain = domains_.hypervisor().DefineDomain(xml);
  if (!domain.ok()) {
    undo();
    return domain.status();
  }
  spdlog::info("VM '{}' ({}) defined", config.name, config.uuid);
  return domains_.StatusOf(**domain);
}

StatusOr<VmStatus> VmManager::Get(const std::string& name) { return domains_.Get(name); }

StatusOr<std::vector<VmStatus>> VmManager::List(bool include_external, const std::string& after,
                                                size_t limit) {
  return domains_.List(include_external, after, limit);
}

Status VmManager::Delete(const std::string& name, bool force, bool keep_disks) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  if (IsActive(state)) {
    if (!force) {
      return absl::FailedPreconditionError(
          fmt::format("VM '{}' is {}: power it off first, or delete with force", name,
                      libvirt::DomainStateName(state)));
    }
    HVAGENT_RETURN_IF_ERROR(vm.domain->Destroy());
  }
  // Kept images get a second name under disks/kept/ before the domain goes,
  // so an agent killed midway never leaves a kept image looking like a
  // leftover (RemoveLeftovers deletes images of vanished VMs).
  if (keep_disks) HVAGENT_RETURN_IF_ERROR(KeepImages(vm.config));
  HVAGENT_RETURN_IF_ERROR(vm.domain->Undefine());
  // The domain is gone; what follows is its leftovers. Keep going on errors
  // and report the first.
  Status cleanup;
  for (const NicConfig& nic : vm.config.nics) cleanup.Update(nics_.Detach(nic));
  for (const DiskConfig& disk : vm.config.disks) {
    std::error_code ec;
    if (disk.agent_created && !std::filesystem::remove(disk.path, ec) && ec) {
      cleanup.Update(absl::InternalError(fmt::format("remove '{}': {}", disk.path, ec.message())));
    }
  }
  std::error_code ec;
  std::filesystem::remove(vm.config.console_log_path, ec);
  spdlog::info("VM '{}' ({}) deleted", name, vm.config.uuid);
  // The VM is gone: that is the answer. What is left behind is the
  // reconciler's to sweep (orphan ports, taps and images).
  if (!cleanup.ok()) {
    spdlog::warn("VM '{}' deleted, but cleaning up after it failed (the reconciler retries): {}",
                 name, cleanup);
  }
  return absl::OkStatus();
}

namespace {

// `domain`'s state once a start under way has ended; UNAVAILABLE when it
// still runs after a minute (QEMU under TCG on a loaded host takes seconds).
StatusOr<DomainState> StateOnceStarted(const HypervisorDomain& domain) {
  constexpr auto kTimeout = std::chrono::seconds(60);
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (true) {
    HVAGENT_ASSIGN_OR_RETURN(const bool starting, domain.StartingUp());
    if (!starting) return domain.State();
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError(
          fmt::format("VM '{}' is still starting after {} s (a start under way); retry",
                      domain.Name(), kTimeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

StatusOr<VmStatus> VmManager::PowerOn(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(DomainState state, vm.domain->State());
  if (state == DomainState::kPaused) {
    // A start under way (a PowerOn whose agent was killed, retried now) shows
    // paused until QEMU runs: its end is this call's answer.
    HVAGENT_ASSIGN_OR_RETURN(state, StateOnceStarted(*vm.domain));
  }
  if (state == DomainState::kPaused) {
    return absl::FailedPreconditionError(fmt::format("VM '{}' is paused: resume it", name));
  }
  if (!IsActive(state)) {
    // The files may have changed since the VM was defined (removed, or
    // swapped for a link out of the image roots): QEMU opens none that the
    // policy would refuse now.
    if (Status paths = paths_.CheckVm(vm.config); !paths.ok()) {
      return absl::FailedPreconditionError(
          fmt::format("VM '{}' cannot start: {}", name, MessageOf(paths)));
    }
    // A power cycle is when a VM takes up the CPU it should have now (the
    // baseline set meanwhile, or its override): redefine it first if that
    // differs from its definition.
    bool redefine = false;
    if (DomainCpuPolicy* cpu = domains_.cpu_policy(); cpu != nullptr) {
      HVAGENT_ASSIGN_OR_RETURN(const std::string wanted, cpu->CpuXmlFor(vm.config));
      std::string wanted_canonical;
      if (!wanted.empty()) {
        HVAGENT_ASSIGN_OR_RETURN(wanted_canonical, CanonicalCpuBaselineXml(wanted));
      }
      if (wanted_canonical != vm.config.cpu_baseline_xml) {
        vm.config.cpu_baseline_xml = wanted_canonical;
        redefine = true;
        spdlog::info("VM '{}': CPU set to {} for this power-on", name,
                     wanted_canonical.empty() ? "host-model" : wanted_canonical);
      }
    }
    // Likewise the PCI slots for hot-plugged NICs: a VM defined before they
    // were reserved (or under another nics_per_vm) gets them now.
    if (vm.config.nic_slots != options_.limits.max_nics) {
      spdlog::info("VM '{}': PCI slots for {} NICs (was {}) from this power-on", name,
                   options_.limits.max_nics, vm.config.nic_slots);
      vm.config.nic_slots = options_.limits.max_nics;
      redefine = true;
    }
    if (redefine) {
      HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(vm.config));
      HVAGENT_ASSIGN_OR_RETURN(vm.domain, domains_.hypervisor().DefineDomain(xml));
    }
    // The NICs are plugged before QEMU runs, so the guest never sees a link
    // without its port. A start that fails (QEMU refuses a disk, the host
    // lacks memory) leaves no tap or port behind.
    HVAGENT_RETURN_IF_ERROR(AttachNics(nics_, name, vm.config.uuid, vm.config.nics));
    if (Status started = vm.domain->Start(); !started.ok()) {
      DetachNics(nics_, name, vm.config.nics, started);
      return started;
    }
    const int64_t now_ms = NowUnixMs();
    // Only the uptime depends on it: a failure is logged, the VM runs on.
    if (Status noted =
            vm.domain->SetLiveMetadata(BuildRuntimeMetadataXml({.started_unix_ms = now_ms}),
                                       std::string(kRuntimePrefix), std::string(kRuntimeNamespace));
        !noted.ok()) {
      spdlog::warn("VM '{}': start time not noted: {}", name, noted);
    }
  }
  return domains_.StatusOf(*vm.domain);
}

StatusOr<VmStatus> VmManager::PowerOff(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  if (IsActive(state)) HVAGENT_RETURN_IF_ERROR(vm.domain->Destroy());
  return domains_.StatusOf(*vm.domain);
}

StatusOr<VmStatus> VmManager::Shutdown(const std::string& name, std::chrono::seconds timeout,
                                       bool power_off_on_timeout) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(DomainState state, vm.domain->State());
  if (!IsActive(state)) return domains_.StatusOf(*vm.domain);
  HVAGENT_RETURN_IF_ERROR(vm.domain->Shutdown());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    HVAGENT_ASSIGN_OR_RETURN(state, vm.domain->State());
    if (!IsActive(state)) return domains_.StatusOf(*vm.domain);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!power_off_on_timeout) {
    return absl::DeadlineExceededError(
        fmt::format("VM '{}' did not shut down within {} s (it ignores ACPI, or is busy)", name,
                    timeout.count()));
  }
  spdlog::info("VM '{}' ignored ACPI shutdown for {} s: powering it off", name, timeout.count());
  HVAGENT_RETURN_IF_ERROR(vm.domain->Destroy());
  return domains_.StatusOf(*vm.domain);
}

StatusOr<VmStatus> VmManager::ChangePower(const std::string& name, PowerChange change) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  if (change.already && state == *change.already) return domains_.StatusOf(*vm.domain);
  if (std::find(change.allowed.begin(), change.allowed.end(), state) == change.allowed.end()) {
    return absl::FailedPreconditionError(fmt::format("cannot {} VM '{}': it is {}", change.verb,
                                                     name, libvirt::DomainStateName(state)));
  }
  HVAGENT_RETURN_IF_ERROR(((*vm.domain).*change.operation)());
  return domains_.StatusOf(*vm.domain);
}

StatusOr<VmStatus> VmManager::Reboot(const std::string& name) {
  return ChangePower(name,
                     {"reboot", {DomainState::kRunning}, std::nullopt, &HypervisorDomain::Reboot});
}

StatusOr<VmStatus> VmManager::Reset(const std::string& name) {
  return ChangePower(name, {"reset",
                            {DomainState::kRunning, DomainState::kPaused},
                            std::nullopt,
                            &HypervisorDomain::Reset});
}

StatusOr<VmStatus> VmManager::Pause(const std::string& name) {
  return ChangePower(
      name, {"pause", {DomainState::kRunning}, DomainState::kPaused, &HypervisorDomain::Suspend});
}

StatusOr<VmStatus> VmManager::Resume(const std::string& name) {
  return ChangePower(
      name, {"resume", {DomainState::kPaused}, DomainState::kRunning, &HypervisorDomain::Resume});
}

Status VmManager::KeepImages(const VmConfig& config) {
  const std::filesystem::path kept = options_.state_dir + "/disks/kept";
  std::error_code ec;
  std::filesystem::create_directories(kept, ec);
  for (const DiskConfig& disk : config.disks) {
    if (!disk.agent_created) continue;
    const std::filesystem::path path(disk.path);
    std::filesystem::create_hard_link(path, kept / path.filename(), ec);
    if (ec && ec != std::errc::file_exists) {
      return absl::InternalError(fmt::format("keep disk image '{}' under '{}': {}", disk.path,
                                             kept.string(), ec.message()));
    }
  }
  return absl::OkStatus();
}

bool VmUpdate::MadeIn(const VmConfig& config) const {
  return expected_generation != 0 && config.generation == expected_generation + 1 &&
         (!vcpus || *vcpus == config.vcpus) &&
         (!cores_per_socket || *cores_per_socket == config.cores_per_socket) &&
         (!memory_bytes || *memory_bytes == config.memory_bytes) &&
         (!labels || *labels == config.labels);
}

StatusOr<VmStatus> VmManager::Update(const std::string& name, const VmUpdate& update) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  VmConfig config = vm.config;
  if (update.resuming && update.MadeIn(config)) return domains_.StatusOf(*vm.domain);
  if (update.expected_generation != 0 && update.expected_generation != config.generation) {
    return absl::AbortedError(
        fmt::format("VM '{}' changed concurrently: generation is {}, expected {}", name,
                    config.generation, update.expected_generation));
  }
  const bool resizes = update.vcpus || update.cores_per_socket || update.memory_bytes;
  if (resizes) {
    HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
    if (IsActive(state)) {
      return absl::FailedPreconditionError(
          fmt::format("VM '{}' is {}: vCPUs and memory change while it is off", name,
                      libvirt::DomainStateName(state)));
    }
  }
  if (update.vcpus) config.vcpus = *update.vcpus;
  if (update.cores_per_socket) config.cores_per_socket = *update.cores_per_socket;
  if (update.memory_bytes) config.memory_bytes = *update.memory_bytes;
  if (update.labels) config.labels = *update.labels;
  config.generation += 1;
  HVAGENT_RETURN_IF_ERROR(CheckVmLimits(config, options_.limits));
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, BuildDomainXml(config));
  HVAGENT_ASSIGN_OR_RETURN(const auto defined, domains_.hypervisor().DefineDomain(xml));
  return domains_.StatusOf(*defined);
}

StatusOr<std::vector<std::string>> VmManager::VmsOn(const std::string& network) {
  std::vector<std::string> names;
  HVAGENT_RETURN_IF_ERROR(
      domains_.ForEachDefinition(/*include_external=*/false, [&](const VmConfig& vm) {
        for (const NicConfig& nic : vm.nics) {
          if (nic.network == network) names.push_back(vm.name);
        }
      }));
  return names;
}

StatusOr<std::map<std::string, uint32_t>> VmManager::NicCounts() {
  std::map<std::string, uint32_t> counts;
  HVAGENT_RETURN_IF_ERROR(
      domains_.ForEachDefinition(/*include_external=*/false, [&counts](const VmConfig& vm) {
        for (const NicConfig& nic : vm.nics) ++counts[nic.network];
      }));
  return counts;
}

Status VmManager::ChangeIfUnused(const std::string& network, const std::string& what,
                                 const std::function<Status()>& change) {
  std::unique_lock network_use(domains_.network_use());
  HVAGENT_ASSIGN_OR_RETURN(std::vector<std::string> vms, VmsOn(network));
  if (!vms.empty()) {
    vms.erase(std::unique(vms.begin(), vms.end()), vms.end());
    std::string names;
    for (const std::string& vm : vms) names += (names.empty() ? "" : ", ") + vm;
    return absl::FailedPreconditionError(
        fmt::format("network '{}' cannot {}: NICs of VM(s) {} use it; delete or move them first",
                    network, what, names));
  }
  return change();
}

}  // namespace hvagent::compute
