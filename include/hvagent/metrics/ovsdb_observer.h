// What OVSDB clients report: each transaction a caller ran, and (for a client
// that merges waiting callers' transactions) each batch it sent.
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
  // One `transact` on the wire that carried `callers` callers' operations
  // (`operations` in all): for a coalescing client to call.
  virtual void ObserveBatch(size_t callers, size_t operations) = 0;
};

}  // namespace hvagent::metrics
