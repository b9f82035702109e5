// An in-memory compute::Hypervisor for unit tests: domains hold their XML,
// state, live devices and live metadata, and move between states as libvirt's
// do (define → shut off, start → running, destroy → shut off, undefine removes
// a shut-off domain and leaves a running one transient until it stops…).
// Any call can be made to fail, and every call is logged.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hvagent/compute/hypervisor.h"

namespace hvagent::testing {

// A domain hvagent did not create (no hvagent metadata), "foreign", as
// someone else (virsh) defines it.
inline constexpr char kForeignDomainXml[] = R"(<domain type='kvm'>
  <name>foreign</name>
  <uuid>3d7f9a10-51c2-4b8e-9f0a-2c4e6a8b0d1f</uuid>
  <memory unit='KiB'>2097152</memory>
  <vcpu placement='static'>2</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/></os>
</domain>)";

class FakeHypervisor final : public compute::Hypervisor {
 public:
  // One domain as the fake keeps it.
  struct Record {
    std::string name;
    std::string uuid;
    std::string xml;  // the persistent definition, or the transient domain's own
    compute::DomainState state = compute::DomainState::kShutOff;
    // Paused as a start under way for this many more StartingUp reads, then
    // running (0: a pause is a pause).
    int starting_up_reads = 0;
    bool persistent = true;
    // Stopped by a migration that handed it over, for this many more
    // HeldByMigration reads (libvirt's confirm phase, before the undefine).
    int handed_over_reads = 0;
    // The current run's NICs and disks, as libvirt tells devices apart:
    // "interface <mac>" and "disk <target>". Those of the definition at start,
    // then hot-plugged ones appended and unplugged ones removed.
    std::vector<std::string> live_devices;
    // The current run's metadata elements, by namespace.
    std::map<std::string, std::string> live_metadata;
    // A migration job runs (MigrateToPeer), and how far it got.
    bool migrating = false;
    bool abort_requested = false;
    uint64_t migration_processed = 0;
  };

  // Calls named `call` — a method of Hypervisor or HypervisorDomain
  // ("DefineDomain", "Start", "AttachLiveDevice"…) — fail with `status`
  // after `after` more of them succeed, until Heal.
  void Fail(const std::string& call, Status status, int after = 0);
  void Heal(const std::string& call);
  // Whether guests power off on an ACPI shutdown request (they do by default).
  void set_guests_honour_acpi(bool honour);
  void set_domain_type(compute::DomainType type);
  // How long a migration takes, in steps of 10 ms (default 5).
  void set_migration_steps(int steps);
  // Where a completed migration's domain goes (as libvirt's peer to peer
  // would put it): defined there, running when it ran here. None: it goes.
  void set_migration_destination(FakeHypervisor* destination);
  // The migrations that completed: "<name> -> <libvirt uri>".
  std::vector<std::string> Migrations() const;

  // The domain named `name` as it is now, if there is one.
  std::optional<Record> Find(const std::string& name) const;
  // Domain `name` (running) shows as a start under way, paused, for `reads`
  // more StartingUp reads, then runs again.
  void MarkStartingUp(const std::string& name, int reads);
  // Shut off as a source that handed the VM over and has not yet undefined
  // it, for this many more HeldByMigration reads.
  void MarkHandedOver(const std::string& name, int reads);
  std::vector<std::string> DomainNames() const;
  // Every call so far, as "<method> <domain name>" ("ListDomains" and
  // "GuestDomainType" alone), failed ones included.
  std::vector<std::string> Calls() const;
  void ClearCalls();

  StatusOr<std::unique_ptr<compute::HypervisorDomain>> LookupDomain(
      const std::string& name) override;
  StatusOr<std::unique_ptr<compute::HypervisorDomain>> DefineDomain(std::string_view xml) override;
  StatusOr<std::vector<std::unique_ptr<compute::HypervisorDomain>>> ListDomains() override;
  StatusOr<compute::DomainType> GuestDomainType() override;
  // pc, pc-i440fx-7.2, pc-q35-7.2 and q35, unless set.
  StatusOr<std::vector<std::string>> MachineTypes() override;
  void set_machine_types(std::vector<std::string> sorted) { machine_types_ = std::move(sorted); }

 private:
  class Domain;
  struct Injected {
    Status status;
    int after = 0;
  };

  // Logs the call and returns its injected failure, if one is due.
  Status Enter(const std::string& call, const std::string& subject);
  // The live record of `uuid`, or NOT_FOUND.
  StatusOr<Record*> Live(const std::string& uuid);
  // Ends the current run: shut off, and gone when transient.
  void Stop(Record& record);
  std::unique_ptr<compute::HypervisorDomain> Handle(const Record& record);

  mutable std::mutex mu_;
  std::map<std::string, Record> domains_;  // by UUID
  std::map<std::string, Injected> failures_;
  std::vector<std::string> calls_;
  bool honour_acpi_ = true;
  compute::DomainType domain_type_ = compute::DomainType::kQemu;
  std::vector<std::string> machine_types_ = {"pc", "pc-i440fx-7.2", "pc-q35-7.2", "q35"};
  int migration_steps_ = 5;
  FakeHypervisor* migration_destination_ = nullptr;
  std::vector<std::string> migrations_;
};

}  // namespace hvagent::testing
