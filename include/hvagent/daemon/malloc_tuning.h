// glibc malloc, set for what hvagentd is: ~35 threads, mostly idle, whose
// work comes in bursts (a thousand ports plugged, a reconcile listing every
// owned port, the OVSDB monitor's first reply on a full host). Measured with
// glibc's defaults (docs/performance.md, "What changed for restart and
// memory"): with 1,000 ports and 52 VMs half of the agent's anonymous memory
// was free memory malloc kept after such bursts — malloc_trim(0) on the
// running agent took it from 61.1 to 30.3 MiB — held in up to 16 arenas
// (8 per core) and in heap tops that glibc's dynamic thresholds let grow.
#pragma once

#include <cstddef>

namespace hvagent::daemon {

// Called first in main, before any thread exists: at most 2 arenas (the
// threads contend little: most wait on libvirt, OVSDB or a client), and
// fixed mmap and trim thresholds, so that a large transient buffer (a JSON
// message, a table's copy) is mapped and unmapped on its own instead of
// growing a heap that keeps it, and a heap's free top goes back above 1 MiB.
void ConfigureMalloc();

// Returns the free pages malloc holds in its heaps (also those between live
// chunks, which the trim thresholds never reach) to the kernel, when it holds
// more than `slack_bytes` free; the bytes it held free before, 0 when below.
size_t TrimMallocAbove(size_t slack_bytes);

}  // namespace hvagent::daemon
