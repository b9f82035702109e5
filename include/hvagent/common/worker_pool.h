// A bounded pool of threads for blocking work (libvirt, OVSDB, SQLite calls)
// with per-key ordering: tasks submitted under one key run one at a time in
// submission order; tasks under different keys run in parallel.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent {

class WorkerPool {
 public:
  // `threads` workers; at most `max_queued` tasks waiting at once.
  WorkerPool(size_t threads, size_t max_queued);
  // Runs every task already accepted, then joins the workers.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` under `key` (worker_keys.h; empty = no ordering).
  // RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE once shutting down.
  Status Submit(std::string_view key, std::function<void()> task);

  size_t queued() const;

 private:
  void WorkerLoop();

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;
  const size_t max_queued_;
  size_t queued_ = 0;
  bool stopping_ = false;
  uint64_t unkeyed_ = 0;  // gives every unkeyed task a key of its own
  // Per key: its pending tasks. A key is in ready_ while it has tasks and no
  // worker runs one of them.
  std::map<std::string, std::deque<std::function<void()>>> pending_;
  std::deque<std::string> ready_;
  std::vector<std::thread> threads_;
};

}  // namespace hvagent
