#include "hvagent/cpu/cpu_baseline.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "hvagent/cpu/domain_capabilities.h"

namespace hvagent::cpu {

namespace {

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string Field(size_t index) { return fmt::format("host_cpu_xmls[{}]", index); }

}  // namespace

BaselineExplanation ExplainBaseline(const std::vector<CpuDescription>& hosts,
                                    const CpuDescription& baseline) {
  BaselineExplanation out;
  out.model = baseline.model;
  const std::set<std::string> kept = RequiredFeatures(baseline);
  size_t lowest = 0;
  size_t lowest_total = 0;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::set<std::string> offered = RequiredFeatures(hosts[i]);
    out.dropped.push_back({.host_index = static_cast<uint32_t>(i),
                           .host_model = hosts[i].model,
                           .features = Minus(offered, kept)});
    const size_t dropped = out.dropped.back().features.size();
    if (i == 0 || dropped < out.dropped[lowest].features.size() ||
        (dropped == out.dropped[lowest].features.size() && offered.size() < lowest_total)) {
      lowest = i;
      lowest_total = offered.size();
    }
  }
  if (hosts.empty()) return out;
  out.lowest_host_index = static_cast<uint32_t>(lowest);
  const size_t lowest_dropped = out.dropped[lowest].features.size();
  const std::string others =
      hosts.size() == 1 ? "it is the only host"
                        : "every other host gives up more features, or as many with more to offer";
  out.lowest_host_reason =
      lowest_dropped == 0
          ? fmt::format("host {} ({}) keeps every one of its {} features in the baseline; {}",
                        lowest, hosts[lowest].model, lowest_total, others)
          : fmt::format("host {} ({}) gives up the fewest features ({} of {}); {}", lowest,
                        hosts[lowest].model, lowest_dropped, lowest_total, others);
  return out;
}

StatusOr<std::vector<CpuDescription>> ParseBaselineInputs(const std::vector<std::string>& xmls) {
  if (xmls.empty() || xmls.size() > kMaxBaselineHosts) {
    return absl::InvalidArgumentError(fmt::format("host_cpu_xmls: needs 1 to {} host CPUs (has {})",
                                                  kMaxBaselineHosts, xmls.size()));
  }
  std::vector<CpuDescription> hosts;
  hosts.reserve(xmls.size());
  for (size_t i = 0; i < xmls.size(); ++i) {
    HVAGENT_ASSIGN_OR_RETURN(CpuDescription host, ParseCpuXml(xmls[i], Field(i)));
    if (host.vendor.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: names no <vendor> (pass HostCpu.libvirt_cpu_xml)", Field(i)));
    }
    if (!hosts.empty() && host.vendor != hosts.front().vendor) {
      return absl::InvalidArgumentError(
          fmt::format("{}: vendor {} differs from host 0's {}: a baseline needs one vendor",
                      Field(i), host.vendor, hosts.front().vendor));
    }
    hosts.push_back(std::move(host));
  }
  return hosts;
}

StatusOr<ComputedBaseline> ComputeBaseline(CpuHypervisor& hypervisor,
                                           const std::vector<std::string>& xmls) {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<CpuDescription> hosts, ParseBaselineInputs(xmls));
  std::vector<std::string> canonical;
  canonical.reserve(hosts.size());
  for (const CpuDescription& host : hosts) canonical.push_back(CpuXml(host));
  HVAGENT_ASSIGN_OR_RETURN(const std::string baseline_xml, hypervisor.BaselineExpanded(canonical));
  ComputedBaseline out;
  HVAGENT_ASSIGN_OR_RETURN(out.cpu, ParseCpuXml(baseline_xml, "the hypervisor's baseline"));
  out.xml = CpuXml(out.cpu);
  // Each host expanded the same way, so that the features compared are the
  // full lists, not what each model implies. Identical inputs expand once.
  std::map<std::string, CpuDescription> expanded;
  std::vector<CpuDescription> hosts_expanded;
  for (size_t i = 0; i < canonical.size(); ++i) {
    auto it = expanded.find(canonical[i]);
    if (it == expanded.end()) {
      auto xml = hypervisor.BaselineExpanded({canonical[i]});
      if (!xml.ok()) return Annotate(xml.status(), fmt::format("expand {}", Field(i)));
      HVAGENT_ASSIGN_OR_RETURN(CpuDescription one, ParseCpuXml(*xml, Field(i)));
      it = expanded.emplace(canonical[i], std::move(one)).first;
    }
    hosts_expanded.push_back(it->second);
    // The explanation names each host by its own model, not its expansion's.
    hosts_expanded.back().model = hosts[i].model;
  }
  out.explanation = ExplainBaseline(hosts_expanded, out.cpu);
  return out;
}

StatusOr<Runnability> CheckRunnable(CpuHypervisor& hypervisor, const std::string& baseline_xml) {
  HVAGENT_ASSIGN_OR_RETURN(const CpuDescription baseline,
                           ParseCpuXml(baseline_xml, "libvirt_cpu_xml"));
  HVAGENT_ASSIGN_OR_RETURN(const CpuComparison comparison, hypervisor.Compare(CpuXml(baseline)));
  Runnability out;
  if (comparison != CpuComparison::kIncompatible) {
    out.runnable = true;
    return out;
  }
  // Name what is missing: the baseline's features (expanded) that the CPU
  // this host offers (expanded the same way) lacks.
  HVAGENT_ASSIGN_OR_RETURN(const std::string domcaps, hypervisor.DomainCapabilitiesXml());
  HVAGENT_ASSIGN_OR_RETURN(const OfferedCpu offered, ParseDomainCapabilities(domcaps));
  HVAGENT_ASSIGN_OR_RETURN(const std::string host_xml,
                           hypervisor.BaselineExpanded({CpuXml(offered.host_model)}));
  HVAGENT_ASSIGN_OR_RETURN(const CpuDescription host, ParseCpuXml(host_xml, "host-model"));
  HVAGENT_ASSIGN_OR_RETURN(const std::string wanted_xml,
                           hypervisor.BaselineExpanded({CpuXml(baseline)}));
  HVAGENT_ASSIGN_OR_RETURN(const CpuDescription wanted, ParseCpuXml(wanted_xml, "libvirt_cpu_xml"));
  // The expansion of the baseline alone drops what this hypervisor cannot
  // offer; the baseline as given still requires those, so count both.
  std::set<std::string> required = RequiredFeatures(wanted);
  required.merge(RequiredFeatures(baseline));
  out.missing_features = Minus(required, RequiredFeatures(host));
  if (!baseline.vendor.empty() && baseline.vendor != offered.host_model.vendor) {
    out.vendor_mismatch = fmt::format("the baseline's vendor is {}, this host offers {}",
                                      baseline.vendor, offered.host_model.vendor);
  }
  return out;
}

}  // namespace hvagent::cpu
