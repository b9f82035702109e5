#include "hvagent/metrics/timed_transactor.h"

#include <chrono>

namespace hvagent::metrics {

StatusOr<nlohmann::json> TimedTransactor::Transact(const nlohmann::json& operations) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<nlohmann::json> result = inner_.Transact(operations);
  observer_.ObserveTransaction(std::chrono::steady_clock::now() - start,
                               operations.is_array() ? operations.size() : 1, result.ok());
  return result;
}

}  // namespace hvagent::metrics
