// A VM NIC's quality of service, the one struct both sides use: compute keeps
// it in the VM's definition (NicSpec.qos), network applies it to the NIC's
// switch port.
#pragma once

#include <cstdint>

namespace hvagent {

struct NicQos {
  // Guest-to-switch policing in kbit/s (0: none) and its burst in kbit (0: OVS's default).
  uint64_t ingress_rate_kbps = 0;
  uint64_t ingress_burst_kb = 0;
  // Switch-to-guest rate limit in kbit/s (0: none).
  uint64_t egress_rate_kbps = 0;

  bool empty() const { return *this == NicQos{}; }
  friend bool operator==(const NicQos&, const NicQos&) = default;
};

}  // namespace hvagent
