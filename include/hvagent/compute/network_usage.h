// Which networks VM NICs use, for the network side's refusals: a network is
// not deleted (or re-tagged) from under the NICs on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "hvagent/common/status.h"

namespace hvagent::compute {

class NetworkUsage {
 public:
  virtual ~NetworkUsage() = default;
  // How many NICs of the agent's VMs each network carries (as native network).
  virtual StatusOr<std::map<std::string, uint32_t>> NicCounts() = 0;
  // Runs `change` only while no NIC uses `network` (else FAILED_PRECONDITION
  // naming the VMs), with NICs kept from joining it until `change` returns.
  virtual Status ChangeIfUnused(const std::string& network, const std::string& what,
                                const std::function<Status()>& change) = 0;
};

}  // namespace hvagent::compute
