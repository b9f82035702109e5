#include "hvagent/compute/cpu_baseline_manager.h"

#include <algorithm>

#include "hvagent/common/unix_clock.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

StatusOr<HostCpuReport> CpuBaselineManager::HostCpu() {
  HostCpuReport report;
  HVAGENT_ASSIGN_OR_RETURN(const std::string domcaps, hypervisor_.DomainCapabilitiesXml());
  HVAGENT_ASSIGN_OR_RETURN(report.offered, cpu::ParseDomainCapabilities(domcaps));
  report.cpu_xml = cpu::CpuXml(report.offered.host_model);
  HVAGENT_ASSIGN_OR_RETURN(report.raw, cpu::ReadRawCpuFacts(host_root_));
  return report;
}

StatusOr<cpu::ComputedBaseline> CpuBaselineManager::Compute(
    const std::vector<std::string>& host_cpu_xmls) {
  return cpu::ComputeBaseline(hypervisor_, host_cpu_xmls);
}

StatusOr<CpuBaselineState> CpuBaselineManager::Set(const std::string& xml) {
  HVAGENT_ASSIGN_OR_RETURN(const cpu::CpuDescription wanted,
                           cpu::ParseCpuXml(xml, "libvirt_cpu_xml"));
  CpuBaselineState state{.cpu = wanted, .xml = cpu::CpuXml(wanted), .set_unix_ms = NowUnixMs()};
  HVAGENT_ASSIGN_OR_RETURN(state.here, cpu::CheckRunnable(hypervisor_, state.xml));
  if (!state.here.runnable) {
    std::vector<std::string> reasons;
    if (!state.here.missing_features.empty()) {
      reasons.push_back("missing features: " + Join(state.here.missing_features));
    }
    if (!state.here.vendor_mismatch.empty()) reasons.push_back(state.here.vendor_mismatch);
    // libvirt said no without a difference the agent can name.
    if (reasons.empty()) reasons.emplace_back("the hypervisor refuses it");
    std::string why;
    for (const std::string& reason : reasons) why += (why.empty() ? "" : "; ") + reason;
    return absl::FailedPreconditionError(fmt::format(
        "libvirt_cpu_xml: this host cannot run the baseline {} ({})", wanted.model, why));
  }
  HVAGENT_RETURN_IF_ERROR(store_.Put({.cpu_xml = state.xml, .set_unix_ms = state.set_unix_ms}));
  spdlog::info("CPU baseline set to {}", wanted.model);
  return state;
}

StatusOr<std::optional<CpuBaselineState>> CpuBaselineManager::Get() {
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<store::CpuBaselineRecord> record, store_.Get());
  if (!record) return std::optional<CpuBaselineState>();
  CpuBaselineState state{.xml = record->cpu_xml, .set_unix_ms = record->set_unix_ms};
  HVAGENT_ASSIGN_OR_RETURN(state.cpu, cpu::ParseCpuXml(record->cpu_xml, "stored CPU baseline"));
  HVAGENT_ASSIGN_OR_RETURN(state.here, cpu::CheckRunnable(hypervisor_, state.xml));
  return std::optional<CpuBaselineState>(std::move(state));
}

StatusOr<std::string> CpuBaselineManager::CpuXmlFor(const VmConfig& config) {
  if (!config.cpu_model_override.empty()) {
    return cpu::CpuXml({.model = config.cpu_model_override});
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<store::CpuBaselineRecord> record, store_.Get());
  return record ? record->cpu_xml : std::string();
}

StatusOr<std::set<std::string>> CpuBaselineManager::ExpandedFeatures(const std::string& cpu_xml) {
  {
    std::lock_guard lock(mu_);
    if (auto it = expanded_.find(cpu_xml); it != expanded_.end()) return it->second;
  }
  std::string input = cpu_xml;
  if (input.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(const std::string domcaps, hypervisor_.DomainCapabilitiesXml());
    HVAGENT_ASSIGN_OR_RETURN(const cpu::OfferedCpu offered, cpu::ParseDomainCapabilities(domcaps));
    input = cpu::CpuXml(offered.host_model);
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::string expanded_xml, hypervisor_.BaselineExpanded({input}));
  HVAGENT_ASSIGN_OR_RETURN(const cpu::CpuDescription expanded,
                           cpu::ParseCpuXml(expanded_xml, "expanded CPU"));
  std::set<std::string> features = cpu::RequiredFeatures(expanded);
  std::lock_guard lock(mu_);
  // Host-model follows the hypervisor, which a restarted libvirtd may change:
  // only named CPUs are kept.
  if (!cpu_xml.empty()) expanded_[cpu_xml] = features;
  return features;
}

StatusOr<CpuStanding> CpuBaselineManager::StandingOf(const std::string& cpu_xml) {
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<store::CpuBaselineRecord> record, store_.Get());
  if (!record) return CpuStanding::kNoBaseline;
  if (!cpu_xml.empty()) {
    // The VM's own form (compute's canonical XML) and the store's differ in
    // feature order only: compare them parsed.
    auto vm = cpu::ParseCpuXml(cpu_xml, "VM CPU");
    auto baseline = cpu::ParseCpuXml(record->cpu_xml, "stored CPU baseline");
    if (vm.ok() && baseline.ok() && *vm == *baseline) return CpuStanding::kAt;
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::set<std::string> vm, ExpandedFeatures(cpu_xml));
  HVAGENT_ASSIGN_OR_RETURN(const std::set<std::string> baseline, ExpandedFeatures(record->cpu_xml));
  const bool has_all = std::includes(vm.begin(), vm.end(), baseline.begin(), baseline.end());
  const bool within = std::includes(baseline.begin(), baseline.end(), vm.begin(), vm.end());
  if (has_all && within) return CpuStanding::kAt;
  if (has_all) return CpuStanding::kAbove;
  if (within) return CpuStanding::kBelow;
  return CpuStanding::kDifferent;
}

}  // namespace hvagent::compute
