#include "hvagent/compute/vm_reconciler.h"

#include "hvagent/common/worker_keys.h"
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

void VmReconciler::ReconcileAll(WorkerPool& pool) {
  auto names = vms_.RunningVmNames();
  if (!names.ok()) {
    spdlog::warn("reconcile: {}", names.status());
    return;
  }
  for (const std::string& name : *names) {
    Status queued = pool.Submit(worker_keys::Vm(name), [this, name] {
      if (Status s = vms_.ReconcileVm(name); !s.ok()) {
        spdlog::warn("reconcile VM '{}': {}", name, s);
      }
    });
    if (!queued.ok()) spdlog::warn("reconcile VM '{}' not queued: {}", name, queued);
  }
  spdlog::info("reconcile: {} running VMs to check", names->size());
  if (auto removed = vms_.RemoveLeftovers(); !removed.ok()) {
    spdlog::warn("reconcile: leftovers: {}", removed.status());
  } else if (!removed->empty()) {
    spdlog::info("reconcile: removed {} leftover NICs of vanished VMs", removed->size());
  }
}

}  // namespace hvagent::compute
