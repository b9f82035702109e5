// The registry of long-running operations: work runs on its own thread (not
// the caller's), reports progress, sees a cancel request, one operation per
// object at a time, and how each ended is kept and announced.
#include "hvagent/common/operation_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace hvagent {
namespace {

using namespace std::chrono_literals;

// Polls `registry` until operation `id` has ended (up to 10 s).
OperationSnapshot WaitEnded(const OperationRegistry& registry, const std::string& id) {
  for (int i = 0; i < 1000; ++i) {
    auto s = registry.Get(id);
    if (s.ok() && s->state != OperationState::kRunning) return *s;
    std::this_thread::sleep_for(10ms);
  }
  ADD_FAILURE() << "operation " << id << " did not end";
  return {};
}

TEST(OperationRegistryTest, WorkRunsOnItsOwnThreadAndItsResultIsKept) {
  OperationRegistry registry;
  std::promise<std::thread::id> ran_on;
  auto id = registry.Start("migration", "vm1", [&](OperationContext& op) {
    ran_on.set_value(std::this_thread::get_id());
    op.Report({.phase = "copying memory", .done = 512, .total = 1024});
    return absl::OkStatus();
  });
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
  const OperationSnapshot ended = WaitEnded(registry, *id);
  EXPECT_EQ(ended.state, OperationState::kSucceeded);
  EXPECT_EQ(ended.kind, "migration");
  EXPECT_EQ(ended.object, "vm1");
  EXPECT_EQ(ended.progress.phase, "copying memory");
  EXPECT_EQ(ended.progress.done, 512u);
  EXPECT_TRUE(ended.finished.has_value());
}

TEST(OperationRegistryTest, CancelReachesTheWorkAndEndsItCancelled) {
  OperationRegistry registry;
  std::atomic<bool> started{false};
  auto id = registry.Start("migration", "vm1", [&](OperationContext& op) -> Status {
    started = true;
    // A poll loop: each wait is cut short by the cancel.
    while (!op.WaitForCancel(10s)) {
    }
    return absl::CancelledError("cancelled by the caller");
  });
  ASSERT_TRUE(id.ok());
  while (!started) std::this_thread::sleep_for(1ms);
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(registry.Cancel(*id).ok());
  const OperationSnapshot ended = WaitEnded(registry, *id);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "the wait was cut short";
  EXPECT_EQ(ended.state, OperationState::kCancelled);
  EXPECT_TRUE(ended.cancel_requested);
  // Cancelling again, or something unknown.
  EXPECT_EQ(registry.Cancel(*id).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry.Cancel("nosuch").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(registry.Get("nosuch").status().code(), absl::StatusCode::kNotFound);
}

TEST(OperationRegistryTest, OneOperationPerObjectAtATime) {
  OperationRegistry registry;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto first = registry.Start("migration", "vm1", [released](OperationContext&) {
    released.wait();
    return absl::OkStatus();
  });
  ASSERT_TRUE(first.ok());
  auto second =
      registry.Start("migration", "vm1", [](OperationContext&) { return absl::OkStatus(); });
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  auto other =
      registry.Start("migration", "vm2", [](OperationContext&) { return absl::OkStatus(); });
  EXPECT_TRUE(other.ok()) << "another object is free";
  release.set_value();
  EXPECT_EQ(WaitEnded(registry, *first).state, OperationState::kSucceeded);
  auto again =
      registry.Start("migration", "vm1", [](OperationContext&) { return absl::OkStatus(); });
  EXPECT_TRUE(again.ok()) << "free again once ended";
}

// A caller that recorded the id before starting (a migration's intent) gives
// it; the registry never runs two operations under one id.
TEST(OperationRegistryTest, AGivenIdIsTheOperationsAndIsNeverReused) {
  OperationRegistry registry;
  auto id = registry.Start(
      "migration", "vm1", [](OperationContext&) { return absl::OkStatus(); }, "m-given");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "m-given");
  EXPECT_EQ(WaitEnded(registry, "m-given").state, OperationState::kSucceeded);
  auto again = registry.Start(
      "migration", "vm2", [](OperationContext&) { return absl::OkStatus(); }, "m-given");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
}

TEST(OperationRegistryTest, FailuresAndExceptionsEndTheOperationFailed) {
  OperationRegistry registry;
  auto failed = registry.Start("migration", "vm1", [](OperationContext&) {
    return absl::UnavailableError("destination unreachable");
  });
  auto threw = registry.Start(
      "migration", "vm2", [](OperationContext&) -> Status { throw std::runtime_error("boom"); });
  const OperationSnapshot f = WaitEnded(registry, *failed);
  EXPECT_EQ(f.state, OperationState::kFailed);
  EXPECT_EQ(f.result.message(), "destination unreachable");
  const OperationSnapshot t = WaitEnded(registry, *threw);
  EXPECT_EQ(t.state, OperationState::kFailed);
  EXPECT_EQ(t.result.code(), absl::StatusCode::kInternal);
}

TEST(OperationRegistryTest, EveryChangeIsAnnouncedAndOldOnesAreForgotten) {
  std::mutex mu;
  std::vector<std::pair<OperationState, std::string>> seen;
  {
    OperationRegistry registry(
        [&](const OperationSnapshot& s) {
          std::lock_guard lock(mu);
          seen.emplace_back(s.state, s.progress.phase);
        },
        /*keep_finished=*/2);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      auto id = registry.Start("migration", "vm" + std::to_string(i), [](OperationContext& op) {
        op.Report({.phase = "half"});
        return absl::OkStatus();
      });
      ASSERT_TRUE(id.ok());
      WaitEnded(registry, *id);
      ids.push_back(*id);
    }
    EXPECT_EQ(registry.Get(ids[0]).status().code(), absl::StatusCode::kNotFound)
        << "only the 2 most recent finished operations are kept";
    const auto listed = registry.List();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, ids[2]) << "newest first";
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 9u) << "start, progress, end for each of 3";
  EXPECT_EQ(seen[0].first, OperationState::kRunning);
  EXPECT_EQ(seen[1].second, "half");
  EXPECT_EQ(seen[2].first, OperationState::kSucceeded);
}

TEST(OperationRegistryTest, ShuttingDownCancelsRunningWorkAndWaitsForIt) {
  std::atomic<bool> saw_cancel{false};
  {
    OperationRegistry registry;
    auto id = registry.Start("migration", "vm1", [&](OperationContext& op) -> Status {
      while (!op.WaitForCancel(10s)) {
      }
      saw_cancel = true;
      return absl::CancelledError("agent stopping");
    });
    ASSERT_TRUE(id.ok());
  }
  EXPECT_TRUE(saw_cancel) << "the destructor waited for the work to see the cancel";
}

}  // namespace
}  // namespace hvagent
