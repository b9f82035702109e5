// Cancels a gRPC call when the user presses Ctrl-C (SIGINT) or a time limit
// passes. A signal handler may not call into gRPC, so the handler only writes
// to a pipe and a helper thread does the cancelling.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

namespace hvagent::cli {

class InterruptWatcher {
 public:
  // Calls `cancel` (once, from its own thread) on SIGINT, or after `limit`.
  explicit InterruptWatcher(std::function<void()> cancel,
                            std::optional<std::chrono::milliseconds> limit = std::nullopt);
  // Restores the previous SIGINT disposition.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

  bool interrupted() const { return interrupted_; }
  bool expired() const { return expired_; }

 private:
  int stop_pipe_[2] = {-1, -1};
  int signal_pipe_write_ = -1;
  std::atomic<bool> interrupted_ = false;
  std::atomic<bool> expired_ = false;
  std::thread thread_;
};

}  // namespace hvagent::cli
