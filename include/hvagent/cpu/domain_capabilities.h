// What the hypervisor can offer guests, read from libvirt's domain
// capabilities (virConnectGetDomainCapabilities). Pure parsing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/cpu/cpu_description.h"

namespace hvagent::cpu {

struct NamedCpuModel {
  std::string name;
  // libvirt's vendor attribute: "Intel", "AMD", "unknown"…
  std::string vendor;
  bool usable = false;
};

struct OfferedCpu {
  // <mode name='host-model'>: the CPU a guest gets here, as a description
  // whose XML (CpuXml) a controller passes to ComputeCpuBaseline.
  CpuDescription host_model;
  // <mode name='custom'>'s models, in libvirt's order.
  std::vector<NamedCpuModel> models;
};

// INVALID_ARGUMENT when `domcaps_xml` is not domain capabilities, and
// FAILED_PRECONDITION when host-model is not supported there.
StatusOr<OfferedCpu> ParseDomainCapabilities(std::string_view domcaps_xml);

}  // namespace hvagent::cpu
