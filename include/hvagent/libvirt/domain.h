// A libvirt domain handle with the operations the agent uses, each returning
// a Status that carries libvirt's own error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/libvirt/domain_state.h"
#include "hvagent/libvirt/handles.h"

namespace hvagent::libvirt {

// Peer-to-peer migration (virDomainMigrateToURI3): the source libvirtd
// connects to the destination's itself.
struct MigrateOptions {
  // The destination libvirtd as the source libvirtd reaches it,
  // e.g. "qemu+tls://host2/system".
  std::string destination_uri;
  // Where QEMU's migration stream goes ("tcp://10.0.0.2"); empty: libvirt's
  // choice (the destination's host name).
  std::string stream_uri;
  bool live = true;
  // A stopped domain's definition only (VIR_MIGRATE_OFFLINE).
  bool offline = false;
  bool auto_converge = false;
  uint64_t bandwidth_mibps = 0;  // 0: unlimited
};

// virDomainGetJobStats, the fields a migration reports.
struct JobStats {
  bool active = false;  // false: no job (VIR_DOMAIN_JOB_NONE)
  uint64_t data_total = 0;
  uint64_t data_processed = 0;
  uint64_t data_remaining = 0;
  // Expected while running, measured in a completed job's stats.
  uint64_t downtime_ms = 0;
  uint64_t elapsed_ms = 0;
};

class Domain {
 public:
  explicit Domain(DomainHandle handle);

  // Cached at construction: error paths must not call into libvirt before the
  // last error is read, and every libvirt call resets it.
  const std::string& Name() const { return name_; }
  StatusOr<std::string> Uuid() const;
  StatusOr<DomainState> State() const;
  // Paused because its start is under way (VIR_DOMAIN_PAUSED_STARTING_UP).
  StatusOr<bool> StartingUp() const;
  // Stopped or paused by a migration (VIR_DOMAIN_SHUTOFF_MIGRATED,
  // VIR_DOMAIN_PAUSED_MIGRATION or _POSTCOPY).
  StatusOr<bool> HeldByMigration() const;
  StatusOr<std::string> XmlDesc(unsigned int flags = 0) const;
  // The persistent definition (what the next boot uses), not the live state.
  StatusOr<std::string> PersistentXml() const { return XmlDesc(VIR_DOMAIN_XML_INACTIVE); }

  struct Info {
    uint64_t cpu_time_ns = 0;
    uint64_t memory_kib = 0;  // in use now
    uint32_t vcpus = 0;
  };
  StatusOr<Info> GetInfo() const;

  Status Start();
  Status Destroy();
  Status Undefine();
  // Whether libvirtd starts it when the host boots.
  StatusOr<bool> Autostart() const;
  Status SetAutostart(bool autostart);
  // ACPI power button / reboot request: the guest decides.
  Status Shutdown();
  Status Reboot();
  // Hard reset, as the reset button.
  Status Reset();
  Status Suspend();
  Status Resume();
  // Hot-plugs / unplugs a device (its XML) in the running domain only; the
  // persistent definition is the caller's to update.
  Status AttachLiveDevice(std::string_view device_xml);
  Status DetachLiveDevice(std::string_view device_xml);

  // The running domain's own metadata element under namespace `uri` (gone
  // when it stops): nullopt when there is none.
  StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const;
  Status SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                         const std::string& uri);

  // Migrates the domain peer-to-peer, persistent on the destination and
  // undefined here once it runs there. Blocks until libvirt finishes; another
  // thread may meanwhile read JobStats and AbortJob.
  Status MigrateToPeer(const MigrateOptions& options);
  // The running job (`completed`: the last finished one, with its measured
  // downtime).
  StatusOr<JobStats> GetJobStats(bool completed = false) const;
  Status AbortJob();
  Status SetMaxDowntime(uint64_t ms);

  virDomainPtr raw() const { return handle_.get(); }

 private:
  DomainHandle handle_;
  std::string name_;
};

}  // namespace hvagent::libvirt
