#include "hvagent/daemon/periodic_trigger.h"

namespace hvagent::daemon {

PeriodicTrigger::PeriodicTrigger(std::chrono::milliseconds period, std::function<void()> tick) {
  thread_ = std::thread([this, period, tick = std::move(tick)] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

PeriodicTrigger::~PeriodicTrigger() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace hvagent::daemon
