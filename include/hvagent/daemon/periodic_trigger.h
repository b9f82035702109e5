// Calls a function every `period` on a thread of its own until destroyed
// (the daemon's periodic upkeep, e.g. the service chains' flow reconcile that
// puts back a flow deleted behind the agent's back).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hvagent::daemon {

class PeriodicTrigger {
 public:
  PeriodicTrigger(std::chrono::milliseconds period, std::function<void()> tick);
  ~PeriodicTrigger();
  PeriodicTrigger(const PeriodicTrigger&) = delete;
  PeriodicTrigger& operator=(const PeriodicTrigger&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace hvagent::daemon
