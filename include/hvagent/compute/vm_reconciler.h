// Puts running VMs' NIC ports back when they went missing (an agent restart,
// a port deleted by hand, an ovsdb-server back on a fresh database) and
// removes what vanished VMs provably left (VmManager::RemoveLeftovers). It
// never concludes "gone" from a view it could not read.
#pragma once

#include <atomic>

#include "hvagent/common/worker_pool.h"
#include "hvagent/compute/vm_manager.h"

namespace hvagent::compute {

class VmReconciler {
 public:
  explicit VmReconciler(VmManager& vms) : vms_(vms) {}

  // Queues one pass on `pool` unless one already waits: triggers come in
  // bursts (a backend back, many Port rows deleted at once).
  void Request(WorkerPool& pool);

  // One pass, on the calling worker: each running VM's ports are checked
  // under the VM's own key on `pool`; then provable leftovers are removed.
  void ReconcileAll(WorkerPool& pool);

 private:
  VmManager& vms_;
  std::atomic<bool> queued_{false};
};

}  // namespace hvagent::compute
