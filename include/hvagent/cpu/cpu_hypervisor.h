// The hypervisor's CPU calls, narrow so that the cpu module stays free of
// libvirt: libvirt::LibvirtCpuHypervisor (libvirt/cpu_hypervisor.cc) is the
// real one, on virConnectGetDomainCapabilities,
// virConnectBaselineHypervisorCPU and virConnectCompareHypervisorCPU — never
// virConnectCompareCPU, which compares against the host's raw CPUID rather
// than what QEMU can offer. Blocking; safe from several threads.
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::cpu {

enum class CpuComparison {
  // The hypervisor can run a guest with that CPU here.
  kIdentical,
  kSuperset,
  // It cannot.
  kIncompatible,
};

class CpuHypervisor {
 public:
  virtual ~CpuHypervisor() = default;

  // The domain capabilities XML for guests of the agent's domain type.
  virtual StatusOr<std::string> DomainCapabilitiesXml() = 0;
  // The baseline of `cpu_xmls` with every feature listed (expanded) and only
  // migratable features. One input expands that CPU.
  virtual StatusOr<std::string> BaselineExpanded(const std::vector<std::string>& cpu_xmls) = 0;
  // Whether the hypervisor can offer `cpu_xml` to a guest here.
  virtual StatusOr<CpuComparison> Compare(const std::string& cpu_xml) = 0;
};

}  // namespace hvagent::cpu
