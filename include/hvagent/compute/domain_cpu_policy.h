// Which CPU a domain gets, asked by VmManager when it creates a VM and when it
// powers one on (a running VM keeps its CPU until its next power cycle), and
// where a VM's CPU stands against the cluster baseline. CpuBaselineManager is
// the real one; tests use fakes.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// A VM's CPU against the cluster baseline (Vm.cpu_standing).
enum class CpuStanding {
  kUnknown,
  // No baseline is set: VMs get host-model.
  kNoBaseline,
  // Exactly the baseline's features.
  kAt,
  // Fewer features than the baseline (a lower override).
  kBelow,
  // More (started before the baseline was set, or a higher override).
  kAbove,
  // Neither: some features more, some fewer.
  kDifferent,
};

class DomainCpuPolicy {
 public:
  virtual ~DomainCpuPolicy() = default;
  // VmConfig.cpu_baseline_xml for `config`: its override's model, else the
  // cluster baseline, else "" (host-model).
  virtual StatusOr<std::string> CpuXmlFor(const VmConfig& config) = 0;
  // Where a domain whose CPU is `cpu_xml` ("" for host-model) stands.
  virtual StatusOr<CpuStanding> StandingOf(const std::string& cpu_xml) = 0;
};

}  // namespace hvagent::compute
