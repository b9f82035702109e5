#include "hvagent/libvirt/event_loop.h"

#include <libvirt/libvirt.h>

#include <mutex>

#include "hvagent/libvirt/libvirt_error.h"
#include "spdlog/spdlog.h"

namespace hvagent::libvirt {

StatusOr<std::unique_ptr<EventLoop>> EventLoop::Start() {
  static std::once_flag registered;
  static int register_result = 0;
  std::call_once(registered, [] {
    InstallErrorHandler();
    register_result = virEventRegisterDefaultImpl();
  });
  if (register_result < 0) {
    return LastLibvirtError("register libvirt's event loop");
  }
  std::unique_ptr<EventLoop> loop(new EventLoop());
  // A disabled timer (-1) that the destructor arms to wake the loop so it sees
  // stopping_; virEventRunDefaultImpl otherwise sleeps until the next event.
  loop->wake_timer_ = virEventAddTimeout(
      -1, [](int, void*) {}, nullptr, nullptr);
  loop->thread_ = std::thread([raw = loop.get()] { raw->Run(); });
  return loop;
}

void EventLoop::Run() {
  while (!stopping_.load()) {
    if (virEventRunDefaultImpl() < 0) {
      spdlog::error("libvirt event loop: {}", LastLibvirtError("virEventRunDefaultImpl"));
    }
  }
}

EventLoop::~EventLoop() {
  stopping_ = true;
  if (wake_timer_ >= 0) virEventUpdateTimeout(wake_timer_, 0);
  if (thread_.joinable()) thread_.join();
  if (wake_timer_ >= 0) virEventRemoveTimeout(wake_timer_);
}

}  // namespace hvagent::libvirt
