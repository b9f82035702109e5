#include "hvagent/common/worker_pool.h"

namespace hvagent {

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queued_;
}

Status WorkerPool::Submit(std::string_view key, std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return absl::UnavailableError("the agent is shutting down");
    }
    if (queued_ >= max_queued_) {
      return absl::ResourceExhaustedError(
          fmt::format("the agent's work queue is full ({} tasks waiting); retry later", queued_));
    }
    const std::string effective =
        key.empty() ? fmt::format("\x01unkeyed/{}", unkeyed_++) : std::string(key);
    auto& tasks = pending_[effective];
    const bool idle = tasks.empty();
    tasks.push_back(std::move(task));
    ++queued_;
    // A key whose tasks are queued or running is already owned by ready_ or
    // by a worker; only an idle key needs to be scheduled.
    if (idle) ready_.push_back(effective);
  }
  ready_cv_.notify_one();
  return absl::OkStatus();
}

void WorkerPool::WorkerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    ready_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
    if (ready_.empty()) {
      return;  // stopping, and nothing left to run
    }
    const std::string key = std::move(ready_.front());
    ready_.pop_front();
    std::function<void()> task = std::move(pending_[key].front());
    --queued_;
    lock.unlock();
    task();
    lock.lock();
    auto it = pending_.find(key);
    it->second.pop_front();
    if (it->second.empty()) {
      pending_.erase(it);
    } else {
      ready_.push_back(key);
      ready_cv_.notify_one();
    }
  }
}

}  // namespace hvagent
