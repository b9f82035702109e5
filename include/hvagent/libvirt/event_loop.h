// libvirt's default event loop on a thread of its own: it drives connection
// keep-alives and delivers domain events. One per process (libvirt allows
// registering its default implementation once), created before any Connection.
#pragma once

#include <atomic>
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
  void Run();

  std::atomic<bool> stopping_{false};
  int wake_timer_ = -1;
  std::thread thread_;
};

}  // namespace hvagent::libvirt
