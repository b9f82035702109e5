// TrimMallocAbove: below the slack it does nothing; above it, the free pages
// between live blocks (which no trim threshold reaches) go back to the kernel.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "hvagent/daemon/malloc_tuning.h"

namespace hvagent::daemon {
namespace {

// RssAnon of this process, in KiB.
int64_t RssAnonKib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("RssAnon:")) return std::stoll(line.substr(8));
  }
  return -1;
}

TEST(MallocTuningTest, ReturnsTheFreePagesBetweenLiveBlocksAboveTheSlack) {
  // 32 MiB in 4 KiB blocks, every 16th kept: the freed ones lie between live
  // blocks, so no heap top can be trimmed.
  std::vector<std::unique_ptr<char[]>> blocks(8192);
  for (auto& block : blocks) {
    block = std::make_unique<char[]>(4000);
    std::fill_n(block.get(), 4000, 'x');  // touched: resident
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i % 16 != 0) blocks[i].reset();
  }
  EXPECT_EQ(TrimMallocAbove(std::numeric_limits<size_t>::max()), 0u);
  const int64_t before = RssAnonKib();
  EXPECT_GE(TrimMallocAbove(4 * 1024 * 1024), size_t{24} * 1024 * 1024);
  const int64_t after = RssAnonKib();
  EXPECT_LT(after, before - 16 * 1024) << "RssAnon " << before << " -> " << after << " KiB";
}

}  // namespace
}  // namespace hvagent::daemon
