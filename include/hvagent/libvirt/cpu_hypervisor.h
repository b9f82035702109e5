// cpu::CpuHypervisor on the agent's libvirt connection, for guests of the
// domain type `virttype()` names ("kvm" or "qemu"; empty: libvirt's default).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hvagent/cpu/cpu_hypervisor.h"
#include "hvagent/libvirt/connection_manager.h"

namespace hvagent::libvirt {

class LibvirtCpuHypervisor final : public cpu::CpuHypervisor {
 public:
  LibvirtCpuHypervisor(ConnectionManager& connections, std::function<std::string()> virttype)
      : connections_(connections), virttype_(std::move(virttype)) {}

  // virConnectGetDomainCapabilities.
  StatusOr<std::string> DomainCapabilitiesXml() override;
  // virConnectBaselineHypervisorCPU with EXPAND_FEATURES | MIGRATABLE.
  StatusOr<std::string> BaselineExpanded(const std::vector<std::string>& cpu_xmls) override;
  // virConnectCompareHypervisorCPU.
  StatusOr<cpu::CpuComparison> Compare(const std::string& cpu_xml) override;

 private:
  ConnectionManager& connections_;
  const std::function<std::string()> virttype_;
};

}  // namespace hvagent::libvirt
