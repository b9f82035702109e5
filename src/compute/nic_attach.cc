#include "hvagent/compute/nic_attach.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <future>
#include <system_error>

namespace hvagent::compute {

Status AttachNics(NicBackend& backend, const std::string& vm_name, const std::string& vm_uuid,
                  const std::vector<NicConfig>& nics) {
  std::vector<Status> results(nics.size());
  std::vector<std::future<void>> others;
  for (size_t i = 1; i < nics.size(); ++i) {
    auto attach = [&backend, &vm_uuid, &nic = nics[i], &result = results[i]] {
      result = backend.Attach(vm_uuid, nic);
    };
    try {
      others.push_back(std::async(std::launch::async, attach));
    } catch (const std::system_error& e) {
      // No thread to be had (the host at its limit): this NIC goes in turn.
      spdlog::warn("VM '{}': NIC {} attached in turn, no thread for it: {}", vm_name, nics[i].mac,
                   e.what());
      attach();
    }
  }
  if (!nics.empty()) results[0] = backend.Attach(vm_uuid, nics[0]);
  for (std::future<void>& other : others) other.wait();

  for (size_t i = 0; i < nics.size(); ++i) {
    if (results[i].ok()) continue;
    // Every one is undone, the failed one too: its tap may have been made
    // before its port failed.
    DetachNics(backend, vm_name, nics, results[i]);
    return Annotate(results[i], fmt::format("attach NIC {}", nics[i].mac));
  }
  return absl::OkStatus();
}

void DetachNics(NicBackend& backend, const std::string& vm_name, const std::vector<NicConfig>& nics,
                const Status& why) {
  for (const NicConfig& nic : nics) {
    if (Status gone = backend.Detach(nic); !gone.ok()) {
      spdlog::warn("VM '{}': NIC {} ({}) stays plugged after {}: {}", vm_name, nic.mac, nic.tap,
                   why, gone);
    }
  }
}

}  // namespace hvagent::compute
