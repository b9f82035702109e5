// How the tests set up the VM layer (VmManager, VmDeviceManager, VmArrivals):
// one set of per-VM maximums, and where the disk images it makes are found.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hvagent/compute/vm_device_manager.h"
#include "hvagent/compute/vm_limits.h"
#include "hvagent/compute/vm_manager.h"

namespace hvagent::testing {

// 8 vCPUs, 64 GiB memory, 1 TiB disks, 4 NICs, 4 disks: room for every test
// VM, small enough that a test can go past each.
inline constexpr compute::VmLimits kTestVmLimits{.max_vcpus = 8,
                                                 .max_memory_bytes = uint64_t{64} << 30,
                                                 .max_disk_bytes = uint64_t{1} << 40,
                                                 .max_nics = 4,
                                                 .max_disks = 4};

// The VM layer's options over `state_dir`, with kTestVmLimits.
inline compute::VmLayerOptions TestVmLayerOptions(const std::string& state_dir) {
  return {.state_dir = state_dir, .limits = kTestVmLimits};
}

// A VmManager / VmDeviceManager over `domains` and the given NIC and network
// seams, with TestVmLayerOptions(state_dir): what each VM-layer test drives.
std::unique_ptr<compute::VmManager> MakeTestVmManager(const std::string& state_dir,
                                                      compute::VmDomains& domains,
                                                      compute::NicBackend& nics,
                                                      compute::NetworkResolver& networks);
std::unique_ptr<compute::VmDeviceManager> MakeTestVmDeviceManager(
    const std::string& state_dir, compute::VmDomains& domains, compute::NicBackend& nics,
    compute::NetworkResolver& networks);

// The file names of the disk images the agent made (state_dir/disks, not
// below); none when the directory does not exist.
std::vector<std::string> DiskImageNames(const std::string& state_dir);

}  // namespace hvagent::testing
