#include "hvagent_test/vm_layer_setup.h"

#include <filesystem>
#include <system_error>

namespace hvagent::testing {

std::unique_ptr<compute::VmManager> MakeTestVmManager(const std::string& state_dir,
                                                      compute::VmDomains& domains,
                                                      compute::NicBackend& nics,
                                                      compute::NetworkResolver& networks) {
  return std::make_unique<compute::VmManager>(TestVmLayerOptions(state_dir), domains, nics,
                                              networks);
}

std::unique_ptr<compute::VmDeviceManager> MakeTestVmDeviceManager(
    const std::string& state_dir, compute::VmDomains& domains, compute::NicBackend& nics,
    compute::NetworkResolver& networks) {
  return std::make_unique<compute::VmDeviceManager>(TestVmLayerOptions(state_dir), domains, nics,
                                                    networks);
}

std::vector<std::string> DiskImageNames(const std::string& state_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir + "/disks", ec)) {
    if (entry.is_regular_file()) names.push_back(entry.path().filename());
  }
  return names;
}

}  // namespace hvagent::testing
