#include "hvagent/compute/vm_limits.h"

#include "fmt/format.h"

namespace hvagent::compute {

HostPathPolicy HostPathsOf(const VmLayerOptions& options) {
  const std::string created = options.state_dir + "/disks";
  return HostPathPolicy(
      options.image_roots.empty() ? std::vector<std::string>{created} : options.image_roots,
      created);
}

Status CheckVmLimits(const VmConfig& config, const VmLimits& max) {
  if (config.vcpus > max.max_vcpus) {
    return absl::ResourceExhaustedError(
        fmt::format("spec.num_vcpus: {} exceeds vcpus_per_vm {} (the host's physical cores)",
                    config.vcpus, max.max_vcpus));
  }
  if (config.memory_bytes > max.max_memory_bytes) {
    return absl::ResourceExhaustedError(fmt::format(
        "spec.memory_bytes: {} exceeds memory_bytes_per_vm {} (min(4.5 TiB, host memory))",
        config.memory_bytes, max.max_memory_bytes));
  }
  if (config.nics.size() > max.max_nics) {
    return absl::ResourceExhaustedError(
        fmt::format("spec.nics: {} exceeds nics_per_vm {}", config.nics.size(), max.max_nics));
  }
  if (config.disks.size() > max.max_disks) {
    return absl::ResourceExhaustedError(
        fmt::format("spec.disks: {} exceeds disks_per_vm {}", config.disks.size(), max.max_disks));
  }
  for (size_t i = 0; i < config.disks.size(); ++i) {
    if (config.disks[i].size_bytes > max.max_disk_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("spec.disks[{}].create_size_bytes: {} exceeds disk_bytes {} (9 EB)", i,
                      config.disks[i].size_bytes, max.max_disk_bytes));
    }
  }
  return absl::OkStatus();
}

}  // namespace hvagent::compute
