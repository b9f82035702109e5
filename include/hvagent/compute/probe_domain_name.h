// The names of the agent's own probe guests (domain_type_probe.h): transient
// domains that are never VMs. They raise no events, are never listed, and a
// VM may not take such a name.
#pragma once

#include <string_view>

namespace hvagent::compute {

inline constexpr std::string_view kProbeDomainPrefix = "hvagent-probe-";

inline bool IsProbeDomainName(std::string_view name) {
  return name.starts_with(kProbeDomainPrefix);
}

}  // namespace hvagent::compute
