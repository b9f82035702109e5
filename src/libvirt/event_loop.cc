#include "hvagent/libvirt/event_loop.h"

#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include <future>
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
  // The destructor writes to this pipe, watched by the loop, to wake it from
  // its poll so it sees `stopping`.
  if (pipe2(loop->wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError("libvirt event loop: cannot make its wake-up pipe");
  }
  loop->wake_watch_ = virEventAddHandle(
      loop->wake_pipe_[0], VIR_EVENT_HANDLE_READABLE,
      [](int /*watch*/, int fd, int /*events*/, void* /*opaque*/) {
        char drain[64];
        while (read(fd, drain, sizeof(drain)) > 0) {
        }
      },
      nullptr, nullptr);
  loop->thread_ = std::thread([stopping = loop->stopping_, done = loop->done_] {
    while (!stopping->load()) {
      if (virEventRunDefaultImpl() < 0) {
        spdlog::error("libvirt event loop: {}", LastLibvirtError("virEventRunDefaultImpl"));
      }
    }
    done->set_value();
  });
  return loop;
}

EventLoop::~EventLoop() {
  stopping_->store(true);
  if (wake_pipe_[1] >= 0) (void)!write(wake_pipe_[1], "x", 1);
  if (thread_.joinable()) {
    // The thread holds only shared state: if libvirt keeps it in a poll that
    // nothing wakes, let it go rather than hang the agent's exit.
    if (done_future_.wait_for(std::chrono::seconds(5)) == std::future_status::ready) {
      thread_.join();
    } else {
      spdlog::warn("libvirt event loop did not stop within 5 s; leaving it");
      thread_.detach();
      return;  // the pipe stays open for the thread
    }
  }
  if (wake_watch_ >= 0) virEventRemoveHandle(wake_watch_);
  for (const int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

}  // namespace hvagent::libvirt
