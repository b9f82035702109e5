// The Controller VM: one per host, NTNX-<host>-CVM, the host's storage
// controllers passed to it. Composes pci/ discovery and validation, the
// crash-safe vfio-pci binding (PassthroughBinder), the pure domain builder
// (controller_vm_xml.h), and protection against accidental stops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/controller_vm_xml.h"
#include "hvagent/compute/passthrough_binder.h"
#include "hvagent/compute/vm_action_guard.h"
#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/pci/device_binder.h"
#include "hvagent/pci/passthrough_validation.h"
#include "hvagent/pci/sysfs_inventory.h"

namespace hvagent::compute {

// The narrow seam to the hypervisor the CVM needs; libvirt in the daemon.
class ControllerVmDomains {
 public:
  virtual ~ControllerVmDomains() = default;
  // The persistent XML of `name`; nullopt when no such domain is defined.
  virtual StatusOr<std::optional<std::string>> PersistentXml(const std::string& name) = 0;
  virtual Status Define(const std::string& xml) = 0;
  virtual StatusOr<bool> Autostart(const std::string& name) = 0;
  virtual Status SetAutostart(const std::string& name) = 0;
  // libvirt's state name: "running", "shut-off", ...
  virtual StatusOr<std::string> State(const std::string& name) = 0;
};

// Both seams over the agent's libvirt connection.
class LibvirtControllerVmDomains final : public ControllerVmDomains, public pci::DeviceBinder {
 public:
  explicit LibvirtControllerVmDomains(libvirt::ConnectionManager& libvirt) : libvirt_(libvirt) {}
  StatusOr<std::optional<std::string>> PersistentXml(const std::string& name) override;
  Status Define(const std::string& xml) override;
  StatusOr<bool> Autostart(const std::string& name) override;
  Status SetAutostart(const std::string& name) override;
  StatusOr<std::string> State(const std::string& name) override;
  // libvirt's node device "pci_DDDD_BB_SS_F".
  Status Detach(const pci::PciAddress& address) override;
  Status Reattach(const pci::PciAddress& address) override;

 private:
  libvirt::ConnectionManager& libvirt_;
};

struct ControllerVmOptions {
  std::string host_name;  // the CVM is NTNX-<host_name>-CVM
  pci::SysfsLayout sysfs;
  // Where the XML backup of each definition is written (<dir>/<name>.xml).
  std::string backup_dir;
  std::string domain_type = "kvm";
  // When set, asked at each Configure instead (the daemon chooses the domain
  // type after start).
  std::function<std::string()> domain_type_of;
  std::string external_bridge = "br0";
  std::string internal_bridge = "virbr0";
  std::string system_disk_path;
};

struct ControllerVmRequest {
  std::vector<pci::ControllerSelection> controllers;
  uint32_t num_vcpus = 0;
  uint64_t memory_bytes = 0;
};

struct ControllerVmStatus {
  bool defined = false;
  std::string name;
  std::string state;  // "running", "shut-off"; empty when not defined
  bool autostart = false;
  ControllerVmFacts facts;
  // The controllers passed, as discovery sees them now (by their recorded
  // address).
  std::vector<pci::StorageController> controllers;
  // From the host, the local CVM is 192.168.5.254 (the host is .1 from the CVM).
  std::string internal_address = "192.168.5.254";
};

class ControllerVmManager final : public VmActionGuard {
 public:
  ControllerVmManager(ControllerVmOptions options, ControllerVmDomains& domains,
                      PassthroughBinder& binder);

  const std::string& name() const { return name_; }

  // Discovery now (sysfs is re-read each time: devices come and go with their drivers).
  StatusOr<pci::PciInventory> Inventory() const;
  StatusOr<ControllerVmStatus> Get();
  // Validates the selection (FAILED_PRECONDITION naming device and reason,
  // nothing bound), binds the endpoints to vfio-pci (recorded first), defines
  // the domain, sets autostart, writes the XML backup, and releases endpoints
  // a previous definition passed and this one does not. Reconfiguring goes
  // through the same validation.
  StatusOr<ControllerVmStatus> Configure(const ControllerVmRequest& request);

  // The protected actions (VmService's PowerOff, Shutdown, Reset, Pause,
  // DeleteVm, UpdateVm, MigrateVm) on the CVM: FAILED_PRECONDITION "the
  // Controller VM serves this host's storage" unless `override.force` with a
  // reason; INVALID_ARGUMENT for force without a reason. OK for any other VM
  // or action. A forced action is logged and handed to the listener (event).
  Status CheckVmAction(std::string_view vm_name, std::string_view action,
                       const ProtectionOverride& override) const override;
  static bool IsProtectedAction(std::string_view action);
  using ForcedActionListener = std::function<void(std::string_view vm_name, std::string_view action,
                                                  std::string_view reason)>;
  void SetForcedActionListener(ForcedActionListener listener) { on_forced_ = std::move(listener); }

  // The CVM's state for host health, never blocking: "not-configured", a
  // libvirt state name ("running", "shut-off"...), or "unknown" until read.
  std::string HealthState() const;
  // A lifecycle event of any domain: updates the health state if it is the CVM's.
  void NoteLifecycle(const std::string& domain_name, std::string_view state);
  // Reads the state from libvirt (blocking: on a worker).
  void RefreshHealth();

 private:
  ControllerVmOptions options_;
  std::string name_;
  ControllerVmDomains& domains_;
  PassthroughBinder& binder_;
  std::mutex configure_mu_;
  ForcedActionListener on_forced_;
  mutable std::mutex health_mu_;
  std::string health_state_ = "unknown";
};

// Reads <root>/sys/devices/system/node/node<N>/cpulist ("0-7,16-23").
StatusOr<std::string> ReadNumaNodeCpus(const pci::SysfsLayout& layout, int node);

}  // namespace hvagent::compute
