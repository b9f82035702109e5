#include "hvagent_test/polling.h"

#include <thread>

namespace hvagent::testing {

::testing::AssertionResult Eventually(const std::function<bool()>& done, std::string_view what,
                                      std::chrono::milliseconds patience,
                                      std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(interval);
  }
  // One last look: the deadline may have passed during a slow check.
  if (done()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << " did not hold within " << static_cast<double>(patience.count()) / 1000 << " s";
}

}  // namespace hvagent::testing
