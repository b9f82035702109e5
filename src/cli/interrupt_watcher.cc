#include "hvagent/cli/interrupt_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace hvagent::cli {
namespace {

// The write end of the pipe the SIGINT handler writes to. A signal handler can
// reach nothing but globals; only one watcher is active at a time.
volatile sig_atomic_t g_interrupt_fd = -1;
struct sigaction g_previous {};

void OnInterrupt(int /*signo*/) {
  const int fd = g_interrupt_fd;
  if (fd >= 0) {
    const char byte = 'i';
    [[maybe_unused]] const ssize_t n = write(fd, &byte, 1);
  }
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void()> cancel,
                                   std::optional<std::chrono::milliseconds> limit) {
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return;
  int signal_pipe[2];
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
  g_interrupt_fd = signal_pipe[1];
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous);
  // The thread owns the signal pipe and closes it when done.
  thread_ = std::thread([this, cancel = std::move(cancel), limit, signal_pipe]() mutable {
    const int read_fd = signal_pipe[0];
    pollfd fds[2] = {{read_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    const auto deadline =
        limit ? std::chrono::steady_clock::now() + *limit : std::chrono::steady_clock::time_point{};
    while (true) {
      int timeout_ms = -1;
      if (limit) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        timeout_ms = static_cast<int>(std::max<int64_t>(left.count(), 0));
      }
      const int n = poll(fds, 2, timeout_ms);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        expired_ = true;
        cancel();
        break;
      }
      if (n < 0 || (fds[1].revents & POLLIN) != 0) break;
      if ((fds[0].revents & POLLIN) != 0) {
        interrupted_ = true;
        cancel();
        break;
      }
    }
    close(read_fd);
  });
  signal_pipe_write_ = signal_pipe[1];
}

InterruptWatcher::~InterruptWatcher() {
  if (stop_pipe_[1] >= 0) {
    const char byte = 's';
    [[maybe_unused]] const ssize_t n = write(stop_pipe_[1], &byte, 1);
  }
  if (thread_.joinable()) {
    thread_.join();
    sigaction(SIGINT, &g_previous, nullptr);
    g_interrupt_fd = -1;
  }
  if (signal_pipe_write_ >= 0) close(signal_pipe_write_);
  for (const int fd : stop_pipe_) {
    if (fd >= 0) close(fd);
  }
}

}  // namespace hvagent::cli
