#include "hvagent/compute/controller_vm_manager.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "hvagent/common/uuid.h"
#include "hvagent/libvirt/domain_state.h"
#include "hvagent/libvirt/libvirt_error.h"

namespace hvagent::compute {

namespace {

namespace fs = std::filesystem;

std::string NodeDeviceName(const pci::PciAddress& a) {
  return fmt::format("pci_{:04x}_{:02x}_{:02x}_{:x}", a.domain, a.bus, a.slot, a.function);
}

// Written next to the target and renamed over it: a crash never leaves half
// a backup.
Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return absl::InternalError(
        fmt::format("create {}: {}", path.parent_path().string(), ec.message()));
  }
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return absl::InternalError(fmt::format("write {}", tmp.string()));
  }
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(fmt::format("rename {}: {}", tmp.string(), ec.message()));
  return absl::OkStatus();
}

}  // namespace

// ---- libvirt ----

StatusOr<std::optional<std::string>> LibvirtControllerVmDomains::PersistentXml(
    const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  auto dom = conn->LookupDomainByName(name);
  if (!dom.ok()) {
    if (dom.status().code() == absl::StatusCode::kNotFound) return std::nullopt;
    return dom.status();
  }
  HVAGENT_ASSIGN_OR_RETURN(std::string xml, dom->PersistentXml());
  return xml;
}

Status LibvirtControllerVmDomains::Define(const std::string& xml) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  return conn->DefineDomain(xml).status();
}

StatusOr<bool> LibvirtControllerVmDomains::Autostart(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(libvirt::Domain dom, conn->LookupDomainByName(name));
  return dom.Autostart();
}

Status LibvirtControllerVmDomains::SetAutostart(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(libvirt::Domain dom, conn->LookupDomainByName(name));
  return dom.SetAutostart(true);
}

StatusOr<std::string> LibvirtControllerVmDomains::State(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(libvirt::Domain dom, conn->LookupDomainByName(name));
  HVAGENT_ASSIGN_OR_RETURN(libvirt::DomainState state, dom.State());
  return std::string(libvirt::DomainStateName(state));
}

Status LibvirtControllerVmDomains::Detach(const pci::PciAddress& address) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  return conn->DetachPciNodeDevice(NodeDeviceName(address));
}

Status LibvirtControllerVmDomains::Reattach(const pci::PciAddress& address) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  return conn->ReattachPciNodeDevice(NodeDeviceName(address));
}

// ---- the manager ----

StatusOr<std::string> ReadNumaNodeCpus(const pci::SysfsLayout& layout, int node) {
  const fs::path path =
      fs::path(layout.root) / fmt::format("sys/devices/system/node/node{}/cpulist", node);
  std::ifstream in(path);
  std::string cpus;
  if (!in || !std::getline(in, cpus) || cpus.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("cannot read the CPUs of NUMA node {} from {}", node, path.string()));
  }
  return cpus;
}

ControllerVmManager::ControllerVmManager(ControllerVmOptions options, ControllerVmDomains& domains,
                                         PassthroughBinder& binder)
    : options_(std::move(options)),
      name_(ControllerVmName(options_.host_name)),
      domains_(domains),
      binder_(binder) {}

StatusOr<pci::PciInventory> ControllerVmManager::Inventory() const {
  return pci::ReadPciInventory(options_.sysfs);
}

StatusOr<ControllerVmStatus> ControllerVmManager::Get() {
  ControllerVmStatus status;
  status.name = name_;
  HVAGENT_ASSIGN_OR_RETURN(std::optional<std::string> xml, domains_.PersistentXml(name_));
  if (!xml) {
    std::lock_guard lock(health_mu_);
    health_state_ = "not-configured";
    return status;
  }
  status.defined = true;
  HVAGENT_ASSIGN_OR_RETURN(status.facts, ParseControllerVmXml(*xml));
  HVAGENT_ASSIGN_OR_RETURN(status.state, domains_.State(name_));
  {
    std::lock_guard lock(health_mu_);
    health_state_ = status.state;
  }
  HVAGENT_ASSIGN_OR_RETURN(status.autostart, domains_.Autostart(name_));
  auto inventory = Inventory();
  for (const std::string& controller : status.facts.controllers) {
    const std::string address = controller.substr(0, controller.find(' '));
    auto parsed = pci::PciAddress::Parse(address);
    const pci::StorageController* found =
        inventory.ok() && parsed.ok() ? inventory->FindController(*parsed) : nullptr;
    pci::StorageController entry;
    if (found != nullptr) {
      entry = *found;
    } else if (parsed.ok()) {
      entry.device.address = *parsed;  // gone from sysfs: report what was recorded
    }
    status.controllers.push_back(std::move(entry));
  }
  return status;
}

StatusOr<ControllerVmStatus> ControllerVmManager::Configure(const ControllerVmRequest& request) {
  std::lock_guard lock(configure_mu_);
  if (request.num_vcpus == 0) return absl::InvalidArgumentError("num_vcpus: must be at least 1");
  if (request.memory_bytes == 0 || request.memory_bytes % (uint64_t{1} << 20) != 0) {
    return absl::InvalidArgumentError("memory_bytes: must be a positive whole number of MiB");
  }
  HVAGENT_ASSIGN_OR_RETURN(pci::PciInventory inventory, Inventory());
  HVAGENT_ASSIGN_OR_RETURN(pci::PassthroughPlan plan,
                           pci::ValidatePassthrough(inventory, request.controllers));
  ControllerVmSpec spec;
  spec.name = name_;
  spec.num_vcpus = request.num_vcpus;
  spec.memory_bytes = request.memory_bytes;
  spec.controllers = plan.controllers;
  spec.endpoints = plan.endpoints;
  spec.numa_node = plan.numa_node;
  if (plan.numa_node >= 0) {
    HVAGENT_ASSIGN_OR_RETURN(spec.numa_node_cpus, ReadNumaNodeCpus(options_.sysfs, plan.numa_node));
  }
  spec.external_bridge = options_.external_bridge;
  spec.internal_bridge = options_.internal_bridge;
  spec.system_disk_path = options_.system_disk_path;
  spec.domain_type = options_.domain_type_of ? options_.domain_type_of() : options_.domain_type;

  HVAGENT_ASSIGN_OR_RETURN(std::optional<std::string> existing, domains_.PersistentXml(name_));
  std::set<std::string> previously_passed;
  if (existing) {
    HVAGENT_ASSIGN_OR_RETURN(ControllerVmFacts facts, ParseControllerVmXml(*existing));
    spec.uuid = facts.uuid;  // a reconfiguration keeps the CVM's identity
    previously_passed.insert(facts.hostdev_addresses.begin(), facts.hostdev_addresses.end());
  } else {
    spec.uuid = NewUuid();
  }
  HVAGENT_ASSIGN_OR_RETURN(std::string xml, BuildControllerVmXml(spec));

  // A running CVM holds its devices: one it would lose cannot go back to the
  // host until it stops. (More memory or vCPUs, or another controller added,
  // take effect at its next boot.)
  if (existing) {
    HVAGENT_ASSIGN_OR_RETURN(std::string state, domains_.State(name_));
    if (state != "shut-off") {
      for (const std::string& address : previously_passed) {
        const bool kept =
            std::any_of(plan.endpoints.begin(), plan.endpoints.end(),
                        [&](const pci::PciDevice& e) { return e.address.ToString() == address; });
        if (!kept) {
          return absl::FailedPreconditionError(fmt::format(
              "{}: the Controller VM {} is {} and uses it; shut the CVM down before taking a "
              "controller away from it",
              address, name_, state));
        }
      }
    }
  }

  HVAGENT_RETURN_IF_ERROR(binder_.Bind(plan.endpoints));
  if (Status defined = domains_.Define(xml); !defined.ok()) {
    // Give back what this call took, keep what the running definition uses.
    std::vector<pci::PciAddress> taken;
    for (const pci::PciDevice& endpoint : plan.endpoints) {
      if (!previously_passed.contains(endpoint.address.ToString())) {
        taken.push_back(endpoint.address);
      }
    }
    if (Status released = binder_.Release(taken); !released.ok()) {
      spdlog::error("releasing the endpoints of a failed CVM definition: {}", released);
    }
    return Annotate(defined, fmt::format("define the Controller VM {}", name_));
  }
  HVAGENT_RETURN_IF_ERROR(domains_.SetAutostart(name_));
  HVAGENT_RETURN_IF_ERROR(
      WriteFileAtomically(fs::path(options_.backup_dir) / (name_ + ".xml"), xml));
  // Endpoints the previous definition passed and this one does not go back
  // to the host; so do endpoints still bound that no definition names (a
  // reconfiguration cut short after its define, now retried).
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<std::string> bound, binder_.BoundAddresses());
  previously_passed.insert(bound.begin(), bound.end());
  std::vector<pci::PciAddress> dropped;
  for (const std::string& address : previously_passed) {
    const bool kept =
        std::any_of(plan.endpoints.begin(), plan.endpoints.end(),
                    [&](const pci::PciDevice& e) { return e.address.ToString() == address; });
    if (kept) continue;
    if (auto parsed = pci::PciAddress::Parse(address); parsed.ok()) dropped.push_back(*parsed);
  }
  if (!dropped.empty()) HVAGENT_RETURN_IF_ERROR(binder_.Release(dropped));
  spdlog::info("Controller VM {} defined: {} endpoint(s), NUMA node {}", name_,
               plan.endpoints.size(), plan.numa_node);
  return Get();
}

std::string ControllerVmManager::HealthState() const {
  std::lock_guard lock(health_mu_);
  return health_state_;
}

void ControllerVmManager::NoteLifecycle(const std::string& domain_name, std::string_view state) {
  if (domain_name != name_) return;
  std::lock_guard lock(health_mu_);
  health_state_ = std::string(state);
}

void ControllerVmManager::RefreshHealth() {
  if (auto status = Get(); !status.ok()) {
    spdlog::warn("reading the Controller VM's state: {}", status.status());
    std::lock_guard lock(health_mu_);
    health_state_ = "unknown";
  }
}

bool ControllerVmManager::IsProtectedAction(std::string_view action) {
  // Pause is not in the list, but a paused CVM serves no storage either.
  for (const std::string_view protected_action :
       {"PowerOff", "Shutdown", "Reset", "Pause", "DeleteVm", "UpdateVm", "MigrateVm"}) {
    if (action == protected_action) return true;
  }
  return false;
}

Status ControllerVmManager::CheckVmAction(std::string_view vm_name, std::string_view action,
                                          const ProtectionOverride& override) const {
  if (vm_name != name_ || !IsProtectedAction(action)) return absl::OkStatus();
  if (!override.force) {
    return absl::FailedPreconditionError(
        fmt::format("{} {}: refused, the Controller VM serves this host's storage (force it with "
                    "controller_vm_override.force and a reason)",
                    action, vm_name));
  }
  if (override.reason.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "controller_vm_override.reason: forcing {} of the Controller VM {} needs a reason", action,
        vm_name));
  }
  spdlog::warn("FORCED {} of the Controller VM {}: {}", action, vm_name, override.reason);
  if (on_forced_) on_forced_(vm_name, action, override.reason);
  return absl::OkStatus();
}

}  // namespace hvagent::compute
