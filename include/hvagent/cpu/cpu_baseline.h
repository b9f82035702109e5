// The cluster CPU baseline: computed from every member host's CPU XML through
// the hypervisor, explained purely (which host is lowest and why, what each
// host gives up), and checked against what this host can offer.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/cpu/cpu_description.h"
#include "hvagent/cpu/cpu_hypervisor.h"

namespace hvagent::cpu {

// At most this many hosts per ComputeCpuBaseline (the cluster size limit).
inline constexpr size_t kMaxBaselineHosts = 1024;

struct HostFeatureDrop {
  uint32_t host_index = 0;
  // The host's own model, e.g. "Skylake-Server".
  std::string host_model;
  // Features the host offers (after expansion) that the baseline leaves out.
  std::vector<std::string> features;

  friend bool operator==(const HostFeatureDrop&, const HostFeatureDrop&) = default;
};

struct BaselineExplanation {
  // The baseline's model, e.g. "Haswell-noTSX".
  std::string model;
  // The host the baseline is set by: the one giving up the fewest features
  // (then the one with the fewest features, then the lowest index).
  uint32_t lowest_host_index = 0;
  std::string lowest_host_reason;
  // One per host, in input order.
  std::vector<HostFeatureDrop> dropped;

  friend bool operator==(const BaselineExplanation&, const BaselineExplanation&) = default;
};

// Pure: `hosts` are each host's expanded description, `baseline` the
// expanded baseline. Dropped = host's required features minus the baseline's.
BaselineExplanation ExplainBaseline(const std::vector<CpuDescription>& hosts,
                                    const CpuDescription& baseline);

struct ComputedBaseline {
  CpuDescription cpu;
  // CpuXml(cpu).
  std::string xml;
  BaselineExplanation explanation;
};

// Pure checks of the inputs, each refusal INVALID_ARGUMENT naming the index
// ("host_cpu_xmls[3]: …"): 1 to kMaxBaselineHosts inputs, each CPU XML with a
// model and a vendor, all of one vendor.
StatusOr<std::vector<CpuDescription>> ParseBaselineInputs(const std::vector<std::string>& xmls);

// Checks, then asks the hypervisor for the baseline and each host's
// expansion, and explains the result.
StatusOr<ComputedBaseline> ComputeBaseline(CpuHypervisor& hypervisor,
                                           const std::vector<std::string>& xmls);

// What this host lacks to run `baseline_xml`.
struct Runnability {
  bool runnable = false;
  // When not runnable: the features the baseline requires that the host's
  // offered CPU lacks (after expansion), and a vendor mismatch if any.
  std::vector<std::string> missing_features;
  std::string vendor_mismatch;
};
StatusOr<Runnability> CheckRunnable(CpuHypervisor& hypervisor, const std::string& baseline_xml);

}  // namespace hvagent::cpu
