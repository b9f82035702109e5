#include "hvagent/libvirt/cpu_hypervisor.h"

#include "hvagent/libvirt/libvirt_error.h"

namespace hvagent::libvirt {

namespace {

// NULL lets libvirt pick the host's default for that argument.
const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace

StatusOr<std::string> LibvirtCpuHypervisor::DomainCapabilitiesXml() {
  HVAGENT_ASSIGN_OR_RETURN(const std::shared_ptr<Connection> conn, connections_.Get());
  const std::string virttype = virttype_ ? virttype_() : "";
  OwnedCString xml(
      virConnectGetDomainCapabilities(conn->raw(), nullptr, nullptr, nullptr, OrNull(virttype), 0));
  if (!xml) return LastLibvirtError("virConnectGetDomainCapabilities");
  return std::string(xml.get());
}

StatusOr<std::string> LibvirtCpuHypervisor::BaselineExpanded(
    const std::vector<std::string>& cpu_xmls) {
  HVAGENT_ASSIGN_OR_RETURN(const std::shared_ptr<Connection> conn, connections_.Get());
  const std::string virttype = virttype_ ? virttype_() : "";
  std::vector<const char*> raw;
  raw.reserve(cpu_xmls.size());
  for (const std::string& xml : cpu_xmls) raw.push_back(xml.c_str());
  OwnedCString baseline(virConnectBaselineHypervisorCPU(
      conn->raw(), nullptr, nullptr, nullptr, OrNull(virttype), raw.data(),
      static_cast<unsigned int>(raw.size()),
      VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES | VIR_CONNECT_BASELINE_CPU_MIGRATABLE));
  if (!baseline) return LastLibvirtError("virConnectBaselineHypervisorCPU");
  return std::string(baseline.get());
}

StatusOr<cpu::CpuComparison> LibvirtCpuHypervisor::Compare(const std::string& cpu_xml) {
  HVAGENT_ASSIGN_OR_RETURN(const std::shared_ptr<Connection> conn, connections_.Get());
  const std::string virttype = virttype_ ? virttype_() : "";
  const int result = virConnectCompareHypervisorCPU(conn->raw(), nullptr, nullptr, nullptr,
                                                    OrNull(virttype), cpu_xml.c_str(), 0);
  switch (result) {
    case VIR_CPU_COMPARE_IDENTICAL: return cpu::CpuComparison::kIdentical;
    case VIR_CPU_COMPARE_SUPERSET: return cpu::CpuComparison::kSuperset;
    case VIR_CPU_COMPARE_INCOMPATIBLE: return cpu::CpuComparison::kIncompatible;
    default:
      // Never "compatible" on an error: failing open would let a VM start
      // where it cannot run.
      return LastLibvirtError("virConnectCompareHypervisorCPU");
  }
}

}  // namespace hvagent::libvirt
