#include "hvagent/host/configuration_maximums.h"

#include <algorithm>

namespace hvagent::host {

ConfigurationMaximums ComputeMaximums(const HostFacts& facts, uint64_t networks_per_host) {
  ConfigurationMaximums max{
      .vcpus_per_vm = facts.physical_cores,
      .memory_bytes_per_vm = std::min(kMaxVmMemoryBytes, facts.memory_bytes),
      .disk_bytes = kMaxDiskBytes,
      // One PCI slot each, kept free so that all can be hot-plugged (on q35
      // one pcie-root-port each, see PcieRootPorts in compute).
      .nics_per_vm = 16,
      // One virtio-scsi controller: targets 0–255.
      .disks_per_vm = 256,
      .networks_per_host = networks_per_host,
  };
  max.all = {
      {"vcpus_per_vm", max.vcpus_per_vm, "AHV: physical cores of the host"},
      {"memory_bytes_per_vm", max.memory_bytes_per_vm, "AHV: min(4.5 TiB, host memory)"},
      {"disk_bytes", max.disk_bytes, "AHV: 9 EB, the largest DSF vDisk"},
      {"nics_per_vm", max.nics_per_vm, "hvagent: PCI slots kept for hot-plug (docs/limits.md)"},
      {"disks_per_vm", max.disks_per_vm, "virtio-scsi: 256 targets on one controller"},
      {"networks_per_host", max.networks_per_host, "hvagent config limits.max_networks"},
  };
  return max;
}

}  // namespace hvagent::host
