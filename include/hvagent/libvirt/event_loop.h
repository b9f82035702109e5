// libvirt's default event loop on a thread of its own: it drives connection
// keep-alives and delivers domain events. One per process (libvirt allows
// registering its default implementation once), created before any Connection.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "hvagent/common/status.h"

namespace hvagent::libvirt {

class EventLoop {
 public:
  // Registers libvirt's default event implementation and starts the thread.
  static StatusOr<std::unique_ptr<EventLoop>> Start();
  // Stops the thread; connections using it must be closed first.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

 private:
  EventLoop() = default;

  // Shared with the thread, which may outlive this object (see ~EventLoop).
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::promise<void>> done_ = std::make_shared<std::promise<void>>();
  std::future<void> done_future_ = done_->get_future();
  int wake_pipe_[2] = {-1, -1};
  int wake_watch_ = -1;
  std::thread thread_;
};

}  // namespace hvagent::libvirt
