// The host's per-VM maximums (host/configuration_maximums decides them) and
// the one check of a VM against them.
#pragma once

#include <cstdint>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

struct VmLimits {
  uint32_t max_vcpus = 0;
  uint64_t max_memory_bytes = 0;
  uint64_t max_disk_bytes = 0;
  uint32_t max_nics = 0;
  uint32_t max_disks = 0;
};

// RESOURCE_EXHAUSTED naming the spec field and the maximum it exceeds.
Status CheckVmLimits(const VmConfig& config, const VmLimits& max);

}  // namespace hvagent::compute
