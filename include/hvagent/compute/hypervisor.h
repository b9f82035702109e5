// The hypervisor as VmManager needs it: domains looked up, defined and
// listed, each with its state, definition and power and device operations.
// LibvirtHypervisor (libvirt_hypervisor.h) is the real one; tests use a fake
// in memory. Blocking, and safe to call from several workers at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"
#include "hvagent/libvirt/domain_state.h"

namespace hvagent::compute {

using libvirt::DomainState;

// Whether a domain in `state` has a QEMU process (running, paused, blocked,
// shutting down, pm-suspended): only then has it live devices and metadata.
inline bool IsActive(DomainState state) {
  return state != DomainState::kShutOff && state != DomainState::kNoState &&
         state != DomainState::kCrashed;
}

// What a running domain uses now.
struct DomainUsage {
  uint64_t cpu_time_ns = 0;
  uint64_t memory_kib = 0;
};

// Where and how a domain migrates (peer to peer: this host's libvirtd
// connects to the destination's itself), persistent there and undefined here
// once it runs there.
struct MigrationTarget {
  // The destination libvirtd as this host's libvirtd reaches it.
  std::string libvirt_uri;
  // Where QEMU's migration stream goes ("tcp://10.0.0.2"); empty: libvirt's
  // choice.
  std::string stream_uri;
  // A stopped domain's definition only.
  bool offline = false;
  bool auto_converge = false;
  uint64_t bandwidth_mibps = 0;  // 0: unlimited
};

// A migration job's progress as the hypervisor reports it.
struct MigrationJob {
  bool active = false;  // false: no job runs
  uint64_t data_total = 0;
  uint64_t data_processed = 0;
  uint64_t data_remaining = 0;
  // Expected while running; measured in a completed job's report.
  uint64_t downtime_ms = 0;
};

// One domain, by identity: calls after it is gone fail (NOT_FOUND).
class HypervisorDomain {
 public:
  virtual ~HypervisorDomain() = default;

  virtual const std::string& Name() const = 0;
  virtual StatusOr<std::string> Uuid() const = 0;
  virtual StatusOr<DomainState> State() const = 0;
  // True while it is paused only because a start of it is under way (libvirt's
  // "paused, starting up": QEMU made, its CPUs not yet run), perhaps for a
  // caller that is gone.
  virtual StatusOr<bool> StartingUp() const = 0;
  // True while a migration holds it: stopped once it handed the VM over (and
  // not yet undefined), or paused for the migration's last copy.
  virtual StatusOr<bool> HeldByMigration() const = 0;
  // The persistent definition (what the next boot uses), not the live state.
  virtual StatusOr<std::string> PersistentXml() const = 0;
  virtual StatusOr<DomainUsage> Usage() const = 0;

  virtual Status Start() = 0;
  // Powers off at once; a domain without a persistent definition is gone.
  virtual Status Destroy() = 0;
  // Removes the persistent definition; a running domain runs on, transient.
  virtual Status Undefine() = 0;
  // ACPI power button / reboot request: the guest decides.
  virtual Status Shutdown() = 0;
  virtual Status Reboot() = 0;
  // Hard reset, as the reset button.
  virtual Status Reset() = 0;
  virtual Status Suspend() = 0;
  virtual Status Resume() = 0;
  // Hot-plugs / unplugs a device (its XML) in the running domain only; the
  // persistent definition is the caller's to update.
  virtual Status AttachLiveDevice(std::string_view device_xml) = 0;
  virtual Status DetachLiveDevice(std::string_view device_xml) = 0;
  // Whether the running domain has the device of `device_xml` (same MAC or
  // disk target): what a change cut short between its steps had done.
  virtual StatusOr<bool> HasLiveDevice(std::string_view device_xml) const = 0;
  // The running domain's own metadata element under namespace `uri` (gone
  // when it stops): nullopt when there is none.
  virtual StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const = 0;
  virtual Status SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                                 const std::string& uri) = 0;

  // Migration (MigrationManager). Blocks until the domain runs (or is
  // defined, offline) on the destination and is gone here; another thread
  // may meanwhile read the job and abort it.
  virtual Status MigrateToPeer(const MigrationTarget& target) = 0;
  // The running job, or (`completed`) the last finished one.
  virtual StatusOr<MigrationJob> Job(bool completed) const = 0;
  // Ends the running job; a migration then fails and the domain stays here.
  virtual Status AbortJob() = 0;
  virtual Status SetMaxDowntime(uint64_t ms) = 0;
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  // NOT_FOUND when no domain has that name.
  virtual StatusOr<std::unique_ptr<HypervisorDomain>> LookupDomain(const std::string& name) = 0;
  // Defines a domain persistently from its XML, or redefines the one with its
  // UUID (a running domain keeps its live configuration until it stops).
  virtual StatusOr<std::unique_ptr<HypervisorDomain>> DefineDomain(std::string_view xml) = 0;
  // Every domain, defined or running.
  virtual StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> ListDomains() = 0;
  // The domain type guests run under here (choosing it on first use).
  virtual StatusOr<DomainType> GuestDomainType() = 0;
  // The QEMU machine types x86_64 guests can have here, sorted (see
  // MachineTypesOf); empty when the hypervisor lists none.
  virtual StatusOr<std::vector<std::string>> MachineTypes() = 0;
};

}  // namespace hvagent::compute
