// What OVSDB users report: each transaction a caller ran. (How a coalescing
// client merged callers into batches comes from its own counters:
// OvsdbClientSource.)
#pragma once

#include <chrono>
#include <cstddef>

namespace hvagent::metrics {

class OvsdbObserver {
 public:
  virtual ~OvsdbObserver() = default;
  // One caller's Transact: how long it took, how many operations it held,
  // and whether it succeeded.
  virtual void ObserveTransaction(std::chrono::nanoseconds took, size_t operations, bool ok) = 0;
};

}  // namespace hvagent::metrics
