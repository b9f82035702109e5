// The host processor as the kernel reports it in /proc/cpuinfo: identity
// (vendor, family/model/stepping, microcode) and topology. What CPUID says,
// not what the hypervisor can offer (see domain_capabilities.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::cpu {

struct RawCpuFacts {
  // "GenuineIntel", "AuthenticAMD".
  std::string vendor_id;
  // "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz".
  std::string model_name;
  uint32_t family = 0;
  uint32_t model = 0;
  uint32_t stepping = 0;
  // As the kernel prints it, e.g. "0x5003604"; empty when not reported.
  std::string microcode;
  uint32_t sockets = 0;
  uint32_t cores_per_socket = 0;
  uint32_t threads_per_core = 0;
  uint32_t logical_cpus = 0;

  friend bool operator==(const RawCpuFacts&, const RawCpuFacts&) = default;
};

// Parses the text of /proc/cpuinfo (x86). FAILED_PRECONDITION when it has no
// processor entry or lacks vendor_id.
StatusOr<RawCpuFacts> ParseCpuInfo(std::string_view cpuinfo);

// Reads `root`/proc/cpuinfo; `root` is "/" on a host, a fake tree in tests.
StatusOr<RawCpuFacts> ReadRawCpuFacts(const std::string& root = "/");

}  // namespace hvagent::cpu
