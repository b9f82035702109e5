// The QEMU machine types this host's hypervisor offers x86_64 guests, read
// from libvirt's capabilities, so that an unknown spec.machine_type is
// refused naming the field instead of failing inside libvirt ("No PCI buses
// available").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::compute {

// Every machine name and canonical name of the x86_64 hvm guests in
// `capabilities_xml` (virConnectGetCapabilities), sorted, each once; empty
// when it lists none (libvirt's test driver).
StatusOr<std::vector<std::string>> MachineTypesOf(std::string_view capabilities_xml);

// INVALID_ARGUMENT naming `field` when `known` lists machine types and
// `machine` is not one of them. An empty `known` cannot tell: OK.
Status CheckMachineType(std::string_view field, const std::string& machine,
                        const std::vector<std::string>& known);

}  // namespace hvagent::compute
