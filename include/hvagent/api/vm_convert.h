// Conversions between hvagent.v1's VM messages and compute's VmConfig and
// VmStatus (vm_convert.cc), unit-tested with round trips.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/v1/vm.pb.h"

namespace hvagent::api {

StatusOr<compute::VmConfig> VmConfigFromSpec(const v1::VmSpec& spec);
// `field` prefixes error messages, e.g. "spec.nics[2]".
StatusOr<compute::NicConfig> NicConfigFromSpec(const std::string& field, const v1::NicSpec& nic);
// `field` prefixes error messages, e.g. "spec.disks[1]".
StatusOr<compute::DiskConfig> DiskConfigFromSpec(const std::string& field,
                                                 const v1::DiskSpec& disk);
v1::CpuStanding ToCpuStanding(compute::CpuStanding standing);
void VmStatusToProto(const compute::VmStatus& status, v1::Vm* out);
void DiskToProto(const compute::DiskConfig& disk, v1::Disk* out);
v1::PowerState ToPowerState(libvirt::DomainState state);

}  // namespace hvagent::api
