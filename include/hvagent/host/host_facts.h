// Facts about the host read from /sys and /proc: what the configuration
// maximums derive from.
#pragma once

#include <cstdint>
#include <string>

#include "hvagent/common/status.h"

namespace hvagent::host {

struct HostFacts {
  // Distinct (package, core) pairs: hyper-threads are not cores.
  uint32_t physical_cores = 0;
  uint64_t memory_bytes = 0;
};

// Reads `root`/sys/devices/system/cpu and `root`/proc/meminfo; `root` is "/"
// on a host and a fake tree in tests.
StatusOr<HostFacts> ReadHostFacts(const std::string& root = "/");

}  // namespace hvagent::host
