// The host's per-VM maximums (host/configuration_maximums decides them) and
// the one check of a VM against them; the options the VM layer is set up with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/host_path_policy.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

struct VmLimits {
  uint32_t max_vcpus = 0;
  uint64_t max_memory_bytes = 0;
  uint64_t max_disk_bytes = 0;
  uint32_t max_nics = 0;
  uint32_t max_disks = 0;
};

// What the VM layer's classes (VmManager, VmDeviceManager) are set up with.
struct VmLayerOptions {
  // Disk images the agent creates (disks/) and console logs (console/) live
  // under here.
  std::string state_dir;
  // The directories a request's files (kernels, images, ISOs) may come from;
  // empty: state_dir/disks alone (see HostPathPolicy).
  std::vector<std::string> image_roots;
  VmLimits limits;
  // Makes qcow2 images.
  std::string qemu_img = "/usr/bin/qemu-img";
};

// The path policy of the VM layer set up with `options`.
HostPathPolicy HostPathsOf(const VmLayerOptions& options);

// RESOURCE_EXHAUSTED naming the spec field and the maximum it exceeds.
Status CheckVmLimits(const VmConfig& config, const VmLimits& max);

}  // namespace hvagent::compute
