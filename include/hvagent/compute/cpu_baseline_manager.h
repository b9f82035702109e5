// The host CPU report and the cluster CPU baseline on this host: computed and
// checked through the hypervisor (cpu::CpuHypervisor), kept in the local
// store, and handed to VmManager as the DomainCpuPolicy every domain follows.
// Blocking: run it on workers.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hvagent/compute/domain_cpu_policy.h"
#include "hvagent/cpu/cpu_baseline.h"
#include "hvagent/cpu/cpu_hypervisor.h"
#include "hvagent/cpu/domain_capabilities.h"
#include "hvagent/cpu/raw_cpu_facts.h"
#include "hvagent/store/cpu_baseline_store.h"

namespace hvagent::compute {

struct HostCpuReport {
  cpu::OfferedCpu offered;
  // cpu::CpuXml(offered.host_model): what a controller passes to
  // ComputeCpuBaseline for this host.
  std::string cpu_xml;
  cpu::RawCpuFacts raw;
};

struct CpuBaselineState {
  cpu::CpuDescription cpu;
  std::string xml;
  int64_t set_unix_ms = 0;
  // Whether this host can still run it (a host's hypervisor can change).
  cpu::Runnability here;
};

class CpuBaselineManager final : public DomainCpuPolicy {
 public:
  // /proc/cpuinfo is read under `host_root`.
  CpuBaselineManager(cpu::CpuHypervisor& hypervisor, store::CpuBaselineStore& store,
                     std::string host_root = "/")
      : hypervisor_(hypervisor), store_(store), host_root_(std::move(host_root)) {}

  StatusOr<HostCpuReport> HostCpu();
  // INVALID_ARGUMENT naming the host index for bad inputs (see
  // cpu::ParseBaselineInputs).
  StatusOr<cpu::ComputedBaseline> Compute(const std::vector<std::string>& host_cpu_xmls);
  // Stores `xml` as the baseline after checking this host can run it:
  // INVALID_ARGUMENT when it is not CPU XML, FAILED_PRECONDITION naming the
  // missing features when this host cannot run it; nothing stored then.
  StatusOr<CpuBaselineState> Set(const std::string& xml);
  // nullopt when none is set.
  StatusOr<std::optional<CpuBaselineState>> Get();
  // Whether this host can run `xml` (see cpu::CheckRunnable).
  StatusOr<cpu::Runnability> RunnableHere(const std::string& xml) {
    return cpu::CheckRunnable(hypervisor_, xml);
  }

  // DomainCpuPolicy.
  StatusOr<std::string> CpuXmlFor(const VmConfig& config) override;
  StatusOr<CpuStanding> StandingOf(const std::string& cpu_xml) override;

 private:
  // The features `cpu_xml` requires once expanded ("" : host-model), cached.
  StatusOr<std::set<std::string>> ExpandedFeatures(const std::string& cpu_xml);

  cpu::CpuHypervisor& hypervisor_;
  store::CpuBaselineStore& store_;
  const std::string host_root_;
  std::mutex mu_;  // guards expanded_
  std::map<std::string, std::set<std::string>> expanded_;
};

}  // namespace hvagent::compute
