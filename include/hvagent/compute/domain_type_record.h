// The domain-type probe's verdict, reused across agent starts. The probe
// boots a guest and, where KVM is offered but cannot run a 64-bit guest, waits
// out its whole deadline (3 s, more on a loaded host): paid at every start it
// kept a restarted agent from serving for seconds. Its answer depends only on
// the host, so it is recorded in the local store with what could change it
// (the key below) and reused while the key matches. Serving first and choosing
// later was the other way; it was not taken because GetHost would answer
// without a domain type for the probe's length and a `kvm` setting that
// cannot be had would stop the agent after it already served.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/domain_type_probe.h"
#include "hvagent/libvirt/connection.h"
#include "hvagent/store/domain_type_verdict_store.h"

namespace hvagent::compute {

// What the probe's answer depends on. Any field changed: probe again.
struct DomainTypeProbeKey {
  std::string kernel_release;   // uname's release: KVM's code
  std::string boot_id;          // a reboot may change firmware, nesting or module settings
  std::string libvirt_version;  // how the probe guest is started
  std::string qemu;             // the x86_64 emulator libvirt names: path and file identity
  std::string kvm;              // /dev/kvm: absent, or its device, inode and ctime (a reload)
  std::string setting;          // compute.domain_type: auto or kvm

  // One "name=value" line per field: what the store keeps.
  std::string ToText() const;
  // The names of the fields that differ from `recorded` (an earlier ToText);
  // empty when the key is the same.
  std::vector<std::string> ChangedSince(std::string_view recorded) const;
};

// "absent", or the file's device numbers (for a device node), inode, size,
// mtime and ctime in nanoseconds: a replaced or reloaded file differs.
std::string FileIdentity(const std::string& path);

// The key of this host now; `setting` is "auto" or "kvm".
StatusOr<DomainTypeProbeKey> ReadDomainTypeProbeKey(libvirt::Connection& conn,
                                                    std::string_view setting);

// The verdict recorded under `key` within the last day, or `probe`'s,
// recorded when it lasts. A key that could not be read, or a store that
// cannot be read or written, costs a probe (logged), never the start.
// `records` may be null (no store).
StatusOr<DomainTypeChoice> ChooseWithRecord(
    const StatusOr<DomainTypeProbeKey>& key, store::DomainTypeVerdictStore* records,
    const std::function<StatusOr<DomainTypeChoice>()>& probe);

}  // namespace hvagent::compute
