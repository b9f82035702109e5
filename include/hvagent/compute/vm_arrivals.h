// A VM arriving by migration: the destination's side of MigrationManager,
// reached through the agent-to-agent calls (MigrationPeerService). The VM is
// given as its source's persistent domain XML (with the agent's metadata).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/cpu_baseline_manager.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_domains.h"
#include "hvagent/compute/vm_limits.h"

namespace hvagent::compute {

class VmArrivals {
 public:
  // How long prepared NICs wait for their domain before the leftover sweep
  // may take them (the source never called Finish or Abort).
  static constexpr std::chrono::minutes kDefaultArrivalGrace{10};

  // Whether this host's CPU can run the VM's: a refusal names what is
  // missing (the features). Null: no CPU check.
  using CpuCheck = std::function<Status(const VmConfig& config)>;

  // `paths`: what the arriving VM's files and devices may be here.
  VmArrivals(VmLimits limits, HostPathPolicy paths, VmDomains& domains, NicBackend& nics,
             NetworkResolver& networks, CpuCheck cpu_check = nullptr,
             std::chrono::steady_clock::duration grace = kDefaultArrivalGrace)
      : limits_(limits),
        paths_(std::move(paths)),
        domains_(domains),
        nics_(nics),
        networks_(networks),
        cpu_check_(std::move(cpu_check)),
        grace_(grace) {}

  // Whether the VM can run here: FAILED_PRECONDITION naming why not (its
  // name taken, a network missing, over a configuration maximum, the CPU
  // lacking features, a file or device the path policy refuses here). Changes nothing.
  Status Check(const std::string& domain_xml, bool live);
  // Checks, then makes the VM's taps and plugs its ports on this host's
  // networks, so its first frame after the switch-over finds the switch.
  // They are kept from the leftover sweep until Finish or Abort. On failure
  // nothing is left.
  Status Prepare(const std::string& domain_xml);
  // The migration failed: removes what Prepare made, unless the VM runs here
  // after all (then FAILED_PRECONDITION, and its NICs stay).
  Status Abort(const std::string& domain_xml);
  // The migration succeeded: the VM is this host's like any other. Answers
  // the completed job as the hypervisor here measured it (all zero when it
  // did not keep it).
  StatusOr<MigrationJob> Finish(const std::string& domain_xml);

 private:
  // The arriving VM's config with its NICs on this host's networks.
  StatusOr<VmConfig> Resolve(const std::string& domain_xml, bool live);

  const VmLimits limits_;
  const HostPathPolicy paths_;
  VmDomains& domains_;
  NicBackend& nics_;
  NetworkResolver& networks_;
  const CpuCheck cpu_check_;
  const std::chrono::steady_clock::duration grace_;
};

// The CPU check of arrivals here: the VM's own CPU (the baseline or model it
// was defined with, else its cpu_model_override) against what this host's
// hypervisor can offer (virConnectCompareHypervisorCPU, through
// CpuBaselineManager); a refusal names the missing features. A host-model VM
// (neither) is not compared: it is only as portable as its hosts are alike.
VmArrivals::CpuCheck CpuCheckWith(CpuBaselineManager& cpus);

}  // namespace hvagent::compute
