#include "hvagent/compute/vm_reconciler.h"

#include <filesystem>
#include <map>
#include <set>

#include "hvagent/common/worker_keys.h"
#include "hvagent/compute/domain_xml.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

void VmReconciler::Request(WorkerPool& pool) {
  if (queued_.exchange(true)) return;
  Status queued = pool.Submit(worker_keys::kReconcile, [this, &pool] {
    queued_ = false;
    ReconcileAll(pool);
  });
  if (!queued.ok()) {
    queued_ = false;
    spdlog::warn("reconcile not queued: {}", queued);
  }
}

void VmReconciler::ReleaseDeparted(const std::string& name, WorkerPool& pool) {
  Status queued = pool.Submit(worker_keys::Vm(name), [this, name, &pool] {
    auto domain = domains_.hypervisor().LookupDomain(name);
    if (!domain.ok()) {
      // Undefined already: no definition names its ports now.
      if (domain.status().code() == absl::StatusCode::kNotFound) Request(pool);
      return;
    }
    auto state = (*domain)->State();
    auto xml = (*domain)->PersistentXml();
    if (!state.ok() || !xml.ok() || IsActive(*state)) return;  // started here again: its own
    auto config = ParseDomainXml(*xml);
    if (!config.ok() || config->external) return;
    for (const NicConfig& nic : config->nics) {
      if (Status detached = nics_.Detach(nic); !detached.ok()) {
        spdlog::warn("VM '{}' left for another host; its NIC {} here: {}", name, nic.mac, detached);
      }
    }
    spdlog::info("VM '{}' left for another host: its {} NIC(s) here removed", name,
                 config->nics.size());
  });
  if (!queued.ok()) spdlog::warn("VM '{}' left; removing its NICs not queued: {}", name, queued);
}

void VmReconciler::ReconcileAll(WorkerPool& pool) {
  auto names = RunningVmNames();
  if (!names.ok()) {
    spdlog::warn("reconcile: {}", names.status());
    return;
  }
  for (const std::string& name : *names) {
    Status queued = pool.Submit(worker_keys::Vm(name), [this, name] {
      if (Status s = ReconcileVm(name); !s.ok()) {
        spdlog::warn("reconcile VM '{}': {}", name, s);
      }
    });
    if (!queued.ok()) spdlog::warn("reconcile VM '{}' not queued: {}", name, queued);
  }
  spdlog::info("reconcile: {} running VMs to check", names->size());
  if (auto removed = RemoveLeftovers(); !removed.ok()) {
    spdlog::warn("reconcile: leftovers: {}", removed.status());
  } else if (!removed->empty()) {
    spdlog::info("reconcile: removed {} leftover NICs of vanished VMs", removed->size());
  }
}

StatusOr<std::vector<std::string>> VmReconciler::RunningVmNames() {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<CachedDomain> vms,
                           domains_.Definitions(/*include_external=*/false));
  std::vector<std::string> names;
  for (const CachedDomain& vm : vms) {
    if (IsActive(vm.state)) names.push_back(vm.config.name);
  }
  return names;
}

Status VmReconciler::ReconcileVm(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(VmDomains::Owned vm, domains_.LookupOwned(name));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, vm.domain->State());
  if (!IsActive(state)) return absl::OkStatus();  // deleted or stopped meanwhile
  for (const NicConfig& nic : vm.config.nics) {
    HVAGENT_RETURN_IF_ERROR(
        Annotate(nics_.Attach(vm.config.uuid, nic), fmt::format("NIC {}", nic.mac)));
  }
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> VmReconciler::RemoveLeftovers() {
  std::unique_lock no_images_in_flight(domains_.images_in_flight());
  HVAGENT_ASSIGN_OR_RETURN(auto domains, domains_.hypervisor().ListDomains());
  std::set<std::string> alive;
  for (const std::unique_ptr<HypervisorDomain>& domain : domains) {
    // A domain whose UUID cannot be read might own anything: stop here.
    HVAGENT_ASSIGN_OR_RETURN(std::string uuid, domain->Uuid());
    alive.insert(std::move(uuid));
  }
  // The MACs of each VM the agent owns: a port whose NIC its VM no longer
  // has is a removal cut short between the define and the port's removal.
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<CachedDomain> owned,
                           domains_.Definitions(/*include_external=*/false));
  std::map<std::string, std::set<std::string>> macs_of;
  // Likewise the file names of each owned VM's images: an image its VM no
  // longer names is a disk removal cut short between the define and the
  // image's removal.
  std::map<std::string, std::set<std::string>> images_of;
  std::set<std::string> taps_named;
  for (const CachedDomain& vm : owned) {
    auto& macs = macs_of[vm.config.uuid];
    for (const NicConfig& nic : vm.config.nics) {
      macs.insert(nic.mac);
      taps_named.insert(nic.tap);
    }
    auto& images = images_of[vm.config.uuid];
    for (const DiskConfig& disk : vm.config.disks) {
      images.insert(std::filesystem::path(disk.path).filename().string());
    }
  }
  HVAGENT_ASSIGN_OR_RETURN(const auto attached, nics_.ListAttached());
  std::vector<std::string> removed;
  Status first_error;
  for (const auto& [vm_uuid, nic] : attached) {
    // An arriving VM's NICs come before its domain.
    if (domains_.IsArriving(vm_uuid)) continue;
    const auto macs = macs_of.find(vm_uuid);
    if (alive.contains(vm_uuid) && (macs == macs_of.end() || macs->second.contains(nic.mac))) {
      continue;
    }
    if (Status gone = nics_.Detach(nic); !gone.ok()) {
      first_error.Update(Annotate(gone, fmt::format("leftover NIC {}", nic.tap)));
      continue;
    }
    spdlog::info("removed leftover NIC {} ({}) of {} VM {}", nic.tap, nic.mac,
                 alive.contains(vm_uuid) ? "a NIC gone from" : "vanished", vm_uuid);
    removed.push_back(nic.tap);
  }
  // A tap with no port (an attach or detach cut short between the two) is
  // a leftover unless an owned VM names it (its power-on or its retry plugs
  // it) or an arrival, whose NICs come before its domain, may be making it.
  std::vector<std::string> taps;  // none to judge while a VM arrives
  if (!domains_.AnyArriving()) {
    HVAGENT_ASSIGN_OR_RETURN(taps, nics_.ListTaps());
  }
  std::set<std::string> with_port;
  for (const auto& [vm_uuid, nic] : attached) with_port.insert(nic.tap);
  for (const std::string& tap : taps) {
    if (with_port.contains(tap) || taps_named.contains(tap)) continue;
    if (Status gone = nics_.Detach({.tap = tap}); !gone.ok()) {
      first_error.Update(Annotate(gone, fmt::format("leftover tap {}", tap)));
      continue;
    }
    spdlog::info("removed leftover tap {}, which had no port and no VM", tap);
    removed.push_back(tap);
  }
  // Images named for a VM that does not exist (an interrupted create or
  // delete), or for an owned VM that no longer names them (kept images live
  // on under kept/, which this never reads). An external domain's are not
  // the agent's to judge.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir_ + "/disks", ec)) {
    const std::string file = entry.path().filename();
    // <uuid>-<target>.<format>: a UUID is 36 characters.
    if (!entry.is_regular_file() || file.size() <= 37 || file[36] != '-') continue;
    const std::string vm_uuid = file.substr(0, 36);
    const bool vm_alive = alive.contains(vm_uuid);
    if (vm_alive) {
      const auto images = images_of.find(vm_uuid);
      if (images == images_of.end() || images->second.contains(file)) continue;
    }
    std::error_code removal;
    if (!std::filesystem::remove(entry.path(), removal) && removal) {
      first_error.Update(absl::InternalError(
          fmt::format("leftover image '{}': {}", entry.path().string(), removal.message())));
      continue;
    }
    spdlog::info("removed leftover image {} of {} VM {}", entry.path().string(),
                 vm_alive ? "a disk gone from" : "vanished", vm_uuid);
    removed.push_back(entry.path().string());
  }
  HVAGENT_RETURN_IF_ERROR(first_error);
  return removed;
}

}  // namespace hvagent::compute
