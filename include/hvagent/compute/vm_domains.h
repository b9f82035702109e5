// The agent's view of its domains, shared by the classes that change VMs
// (VmManager: lifecycle; VmDeviceManager: hot-plug; VmReconciler: repair):
// lookups that refuse domains the agent did not create, a domain's status,
// and the two locks that order NIC joins and image sweeps across them.
// Reads (Get, List) come from a DomainCache while it is live; every change
// goes through hypervisor(), which marks what it changed in that cache.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hvagent/compute/domain_cache.h"
#include "hvagent/compute/domain_cpu_policy.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/compute/invalidating_hypervisor.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

struct VmStatus {
  VmConfig config;
  DomainState state = DomainState::kNoState;
  uint64_t cpu_time_ns = 0;
  uint64_t memory_used_bytes = 0;
  // When the agent powered on the current run (unset when off, or when the
  // run was started outside the agent), ms since the epoch.
  std::optional<int64_t> started_unix_ms;
  // Against the cluster CPU baseline; kUnknown without a DomainCpuPolicy or
  // when the hypervisor cannot tell.
  CpuStanding cpu_standing = CpuStanding::kUnknown;
  // While the VM runs, whether each NIC's tap (by name) has its link up: the
  // kernel's carrier, which Open vSwitch reports as the Interface's
  // link_state. Empty while off (every link down).
  std::map<std::string, bool> link_up;
};

class VmDomains {
 public:
  // `cpu_policy` (may be null: each config's own CPU, host-model unless
  // cpu_baseline_xml is set) gives every domain its CPU at create and
  // power-on, and says where a VM stands against the baseline.
  explicit VmDomains(Hypervisor& hypervisor, DomainCpuPolicy* cpu_policy = nullptr)
      : cache_(hypervisor), hypervisor_(hypervisor, cache_), cpu_policy_(cpu_policy) {}

  // The hypervisor for every change: what changes through it is read again.
  Hypervisor& hypervisor() { return hypervisor_; }
  DomainCpuPolicy* cpu_policy() { return cpu_policy_; }
  // Live once the hypervisor's domain events reach it (the daemon's wiring).
  DomainCache& cache() { return cache_; }

  // The domain named `name` (NOT_FOUND naming the VM when there is none).
  StatusOr<std::unique_ptr<HypervisorDomain>> Lookup(const std::string& name);
  // The status of VM `name` for a read (from the cache while it is live).
  StatusOr<VmStatus> Get(const std::string& name);
  // The domain, and its config, refusing domains the agent did not create.
  struct Owned {
    std::unique_ptr<HypervisorDomain> domain;
    VmConfig config;
  };
  StatusOr<Owned> LookupOwned(const std::string& name);
  // `domain` as it is now, read from the hypervisor (what a change answers).
  StatusOr<VmStatus> StatusOf(HypervisorDomain& domain);
  // Every VM but the agent's own probe domains, by name; the ones the agent
  // did not create only with `include_external`. A domain that cannot be
  // described is skipped, never the whole list failed. With `after` and
  // `limit`, only those after that name, at most `limit` (a page).
  StatusOr<std::vector<VmStatus>> List(bool include_external, const std::string& after = "",
                                       size_t limit = std::numeric_limits<size_t>::max());
  // The same VMs' definitions and states only: what a check or a count
  // needs, without the live reads (usage, links, CPU standing) a status makes.
  StatusOr<std::vector<CachedDomain>> Definitions(bool include_external);
  // Each of the same VMs' definitions passed to `visit`, without copying
  // them: for the checks and counts every create or GetNetwork makes over
  // all VMs. `visit` must not call back into this object.
  Status ForEachDefinition(bool include_external,
                           const std::function<void(const VmConfig&)>& visit);

  // ALREADY_EXISTS naming `field` when a VM on this host other than the one
  // with `self_uuid` — the agent's or not — has a NIC with `mac`: two NICs
  // with one MAC on one switch steal each other's frames. Hold mac_claims()
  // from this check until the domain naming the MAC is defined.
  Status CheckMacFree(const std::string& field, const std::string& mac,
                      const std::string& self_uuid);
  // A MAC from `random` that no NIC on this host has and `taken` lacks: 24
  // random bits collide by chance within a few thousand NICs (a 13% chance at
  // 2,000), and a MAC the agent made must never be refused as taken. After 64
  // draws (or when the host's NICs cannot be read) the last draw is returned:
  // CheckMacFree has the last word.
  std::string FreshMac(const std::set<std::string>& taken,
                       const std::function<std::string()>& random);
  std::mutex& mac_claims() { return mac_claims_mu_; }

  // Shared while a NIC joins a network (resolve … define); exclusive while a
  // network changes only if unused, so no NIC joins it meanwhile.
  std::shared_mutex& network_use() { return network_use_mu_; }
  // Shared from creating an image until a domain names it; exclusive while
  // the reconciler decides which images belong to no domain.
  std::shared_mutex& images_in_flight() { return images_mu_; }

  // VMs arriving by migration (VmArrivals), by UUID: their NICs exist before
  // their domain does, and the leftover sweep must not take them — until the
  // arrival ends, or `until` passes (a source that died never says it ended;
  // by then a migration that goes on has its domain here).
  void MarkArriving(const std::string& uuid, std::chrono::steady_clock::time_point until);
  void ClearArriving(const std::string& uuid);
  bool IsArriving(const std::string& uuid) const;
  bool AnyArriving() const;

 private:
  // The parts of a VM's status that are never kept: usage, links, and the
  // CPU standing (the baseline changes without the domain), memoised per
  // call in `standings`.
  VmStatus StatusOf(const CachedDomain& domain, std::map<std::string, CpuStanding>& standings);

  DomainCache cache_;
  InvalidatingHypervisor hypervisor_;
  DomainCpuPolicy* const cpu_policy_;
  std::shared_mutex network_use_mu_;
  std::shared_mutex images_mu_;
  std::mutex mac_claims_mu_;
  mutable std::mutex arriving_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> arriving_;  // until when
};

}  // namespace hvagent::compute
