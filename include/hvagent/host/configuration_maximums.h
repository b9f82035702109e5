// The configuration maximums the agent enforces, derived from the host
// (docs/limits.md gives each one's source).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hvagent/host/host_facts.h"

namespace hvagent::host {

struct Limit {
  std::string name;
  uint64_t value;
  std::string source;
};

struct ConfigurationMaximums {
  uint32_t vcpus_per_vm;
  uint64_t memory_bytes_per_vm;
  uint64_t disk_bytes;
  uint32_t nics_per_vm;
  uint32_t disks_per_vm;
  uint64_t networks_per_host;
  std::vector<Limit> all;
};

// 4.5 TiB: AHV's memory per VM.
inline constexpr uint64_t kMaxVmMemoryBytes = 4608ULL << 30;
// 9 EB (decimal exabytes): the largest DSF vDisk, so the largest virtual disk.
inline constexpr uint64_t kMaxDiskBytes = 9'000'000'000'000'000'000ULL;

ConfigurationMaximums ComputeMaximums(const HostFacts& facts, uint64_t networks_per_host);

}  // namespace hvagent::host
