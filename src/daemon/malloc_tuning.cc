#include "hvagent/daemon/malloc_tuning.h"

#include <malloc.h>

namespace hvagent::daemon {

void ConfigureMalloc() {
  mallopt(M_ARENA_MAX, 2);
  // Setting either threshold also turns off glibc's raising of both after a
  // large block is freed (up to 32 MiB mapped, 64 MiB kept at a heap's top).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

size_t TrimMallocAbove(size_t slack_bytes) {
  const struct mallinfo2 info = mallinfo2();
  if (info.fordblks <= slack_bytes) return 0;
  malloc_trim(0);
  return info.fordblks;
}

}  // namespace hvagent::daemon
