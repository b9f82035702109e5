// Puts running VMs' NIC ports back when they went missing (an agent restart,
// a port deleted by hand, an ovsdb-server back on a fresh database) and
// removes what vanished VMs provably left. It never concludes "gone" from a
// view it could not read. The policy (when a pass runs, bursts debounced)
// and the mechanism (per-VM repair, the leftover sweep) both live here.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "hvagent/common/worker_pool.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_domains.h"

namespace hvagent::compute {

class VmReconciler {
 public:
  // Images the agent creates live under `state_dir`/disks.
  VmReconciler(VmDomains& domains, NicBackend& nics, std::string state_dir)
      : domains_(domains), nics_(nics), state_dir_(std::move(state_dir)) {}

  // Queues one pass on `pool` unless one already waits: triggers come in
  // bursts (a backend back, many Port rows deleted at once).
  void Request(WorkerPool& pool);

  // One pass, on the calling worker: each running VM's ports are checked
  // under the VM's own key on `pool`; then provable leftovers are removed.
  void ReconcileAll(WorkerPool& pool);

  // The running VMs the agent owns…
  StatusOr<std::vector<std::string>> RunningVmNames();
  // …each of which (if still running) gets its taps and ports made sure of.
  // Re-plugging is idempotent: ports that are right stay untouched. Deletes
  // nothing. Run it in the VM's order, like any change to it.
  Status ReconcileVm(const std::string& name);
  // Removes what is provably the agent's own leftover, of VMs that no longer
  // exist — say, after an agent killed between undefining a VM and unplugging
  // its ports, or between creating a VM's images and defining it: NICs (ports
  // tagged owner=hvagent, and their taps) and images under disks/ named for
  // the VM's UUID (images kept by Delete live under disks/kept/ and are never
  // touched). Returns what it removed; removes nothing when the domain list
  // cannot be read.
  StatusOr<std::vector<std::string>> RemoveLeftovers();

  // VM `name` was handed over to another host (libvirt stopped it here,
  // reason "migrated"): its taps and ports here go, under the VM's key on
  // `pool`, whichever agent began the migration (one killed midway never
  // removes them) and though libvirt may keep the domain defined a moment
  // longer. Once the domain is gone, a pass's sweep does it instead.
  void ReleaseDeparted(const std::string& name, WorkerPool& pool);

 private:
  VmDomains& domains_;
  NicBackend& nics_;
  const std::string state_dir_;
  std::atomic<bool> queued_{false};
};

}  // namespace hvagent::compute
