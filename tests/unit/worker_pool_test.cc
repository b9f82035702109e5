// WorkerPool: per-key ordering, parallelism across keys, the queue bound and
// shutdown. Waits are bounded so that a broken pool fails instead of hanging.
#include "hvagent/common/worker_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hvagent_test/polling.h"

namespace hvagent {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A one-shot flag that threads can wait on with a timeout.
class Event {
 public:
  void Set() {
    {
      std::lock_guard lock(mu_);
      set_ = true;
    }
    cv_.notify_all();
  }
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// The pool hands work over within microseconds: poll tightly, briefly.
::testing::AssertionResult Eventually(const std::function<bool()>& done, std::string_view what) {
  return hvagent::testing::Eventually(done, what, 2s, 1ms);
}

// Submits under `key` a task that holds its worker until `release` is set
// (then runs `after`), and returns once the task is running.
::testing::AssertionResult HoldWorker(
    WorkerPool& pool, const std::string& key, Event& release, std::function<void()> after = [] {}) {
  // Shared: the task may still be inside Set() when the wait below returns.
  auto started = std::make_shared<Event>();
  const Status submitted = pool.Submit(key, [started, &release, after = std::move(after)] {
    started->Set();
    release.WaitFor(2s);
    after();
  });
  if (!submitted.ok()) return ::testing::AssertionFailure() << "submit: " << submitted;
  if (!started->WaitFor(2s)) return ::testing::AssertionFailure() << "the task did not start";
  return ::testing::AssertionSuccess();
}

TEST(WorkerPoolTest, TasksUnderOneKeyRunOneAtATimeInSubmissionOrder) {
  constexpr int kTasks = 20;
  std::mutex mu;
  std::vector<int> order;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  std::atomic<int> finished{0};
  {
    // Spare workers: with a broken ordering they would pick up the key's
    // later tasks while an earlier one still runs.
    WorkerPool pool(4, 100);
    for (int i = 0; i < kTasks; ++i) {
      ASSERT_TRUE(pool.Submit("vm/a",
                              [&, i] {
                                const int now = ++running;
                                int seen = max_running.load();
                                while (now > seen &&
                                       !max_running.compare_exchange_weak(seen, now)) {
                                }
                                {
                                  std::lock_guard lock(mu);
                                  order.push_back(i);
                                }
                                // Long enough for an overlapping task to be caught.
                                std::this_thread::sleep_for(2ms);
                                --running;
                                ++finished;
                              })
                      .ok());
    }
    ASSERT_TRUE(Eventually([&] { return finished.load() == kTasks; }, "every task finished"));
  }
  EXPECT_EQ(max_running.load(), 1);
  std::vector<int> expected(kTasks);
  for (int i = 0; i < kTasks; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
}

// Two tasks that each wait for the other to start: both can finish only if
// they run at the same time.
void ExpectRunInParallel(const std::string& key_a, const std::string& key_b) {
  Event a_started;
  Event b_started;
  std::atomic<bool> a_saw_b{false};
  std::atomic<bool> b_saw_a{false};
  {
    WorkerPool pool(2, 10);
    ASSERT_TRUE(pool.Submit(key_a,
                            [&] {
                              a_started.Set();
                              a_saw_b = b_started.WaitFor(1s);
                            })
                    .ok());
    ASSERT_TRUE(pool.Submit(key_b,
                            [&] {
                              b_started.Set();
                              b_saw_a = a_started.WaitFor(1s);
                            })
                    .ok());
  }
  EXPECT_TRUE(a_saw_b.load()) << "'" << key_a << "' and '" << key_b << "' did not overlap";
  EXPECT_TRUE(b_saw_a.load()) << "'" << key_a << "' and '" << key_b << "' did not overlap";
}

TEST(WorkerPoolTest, TasksUnderDifferentKeysRunInParallel) { ExpectRunInParallel("vm/a", "vm/b"); }

TEST(WorkerPoolTest, UnkeyedTasksRunInParallel) { ExpectRunInParallel("", ""); }

TEST(WorkerPoolTest, SubmitBeyondMaxQueuedIsResourceExhausted) {
  Event release;
  WorkerPool pool(1, 2);
  // The only worker is busy, so everything after this waits in the queue.
  ASSERT_TRUE(HoldWorker(pool, "", release));
  EXPECT_TRUE(pool.Submit("k", [] {}).ok());
  EXPECT_TRUE(pool.Submit("", [] {}).ok());
  const Status full = pool.Submit("other", [] {});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_THAT(MessageOf(full), HasSubstr("queue is full"));
  EXPECT_EQ(pool.queued(), 2u);
  release.Set();
  // Once the queue drains, submissions are accepted again.
  ASSERT_TRUE(Eventually([&] { return pool.queued() == 0; }, "the queue drained"));
  EXPECT_TRUE(pool.Submit("other", [] {}).ok());
}

TEST(WorkerPoolTest, DestructorRunsEveryAcceptedTaskBeforeJoining) {
  constexpr int kTasks = 30;
  std::atomic<int> ran{0};
  Event release;
  std::thread releaser;
  {
    WorkerPool pool(1, 100);
    ASSERT_TRUE(HoldWorker(pool, "vm/a", release, [&] { ++ran; }));
    for (int i = 1; i < kTasks; ++i) {
      // Keyed (behind the running task) and unkeyed alike.
      ASSERT_TRUE(pool.Submit(i % 2 == 0 ? "vm/a" : "", [&] { ++ran; }).ok());
    }
    // Everything but the first task is still waiting when shutdown begins.
    ASSERT_EQ(pool.queued(), static_cast<size_t>(kTasks - 1));
    releaser = std::thread([&] {
      std::this_thread::sleep_for(20ms);
      release.Set();
    });
  }
  releaser.join();
  EXPECT_EQ(ran.load(), kTasks);
}

TEST(WorkerPoolTest, QueuedCountsWaitingTasksOnly) {
  Event release;
  WorkerPool pool(1, 10);
  EXPECT_EQ(pool.queued(), 0u);
  ASSERT_TRUE(HoldWorker(pool, "a", release));
  // The running task no longer counts.
  EXPECT_EQ(pool.queued(), 0u);
  ASSERT_TRUE(pool.Submit("a", [] {}).ok());
  ASSERT_TRUE(pool.Submit("b", [] {}).ok());
  ASSERT_TRUE(pool.Submit("", [] {}).ok());
  EXPECT_EQ(pool.queued(), 3u);
  release.Set();
  EXPECT_TRUE(Eventually([&] { return pool.queued() == 0; }, "the queue drained"));
}

}  // namespace
}  // namespace hvagent
