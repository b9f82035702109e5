#include "hvagent/daemon/daemon.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "hvagent/common/logging.h"
#include "hvagent/daemon/agent.h"
#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Pings the systemd watchdog at half its interval while the daemon runs.
class WatchdogPinger {
 public:
  WatchdogPinger() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
      return;
    }
    thread_ = std::thread([this, period = std::chrono::microseconds(usec / 2)] {
      while (!stop_.load()) {
        sd_notify(0, "WATCHDOG=1");
        for (auto slept = std::chrono::microseconds(0); slept < period && !stop_.load();
             slept += std::chrono::milliseconds(100)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  ~WatchdogPinger() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A backend that dies mid-write (libvirtd, ovsdb-server) must cost an error
  // value, not the agent: without this SIGPIPE kills the process.
  (void)signal(SIGPIPE, SIG_IGN);
}

void Daemon::Reload() {
  if (config_path_.empty()) {
    spdlog::info("SIGHUP: no config file to reload");
    return;
  }
  auto reloaded = LoadConfigFile(config_path_, /*required=*/true);
  if (!reloaded.ok()) {
    spdlog::error("SIGHUP: keeping the running configuration: {}", reloaded.status().message());
    return;
  }
  // Only the log level changes live; the rest needs a restart.
  config_.log_level = reloaded->log_level;
  SetLogLevel(*ParseLogLevel(config_.log_level));
  spdlog::info("SIGHUP: log level is now {}", config_.log_level);
}

Status Daemon::Run() {
  HVAGENT_RETURN_IF_ERROR(ValidateConfig(config_));
  HVAGENT_ASSIGN_OR_RETURN(Agent::Prerequisites prerequisites, Agent::Prepare(config_));
  prerequisites.pci = pci_;
  Agent agent(config_, std::move(prerequisites));
  HVAGENT_RETURN_IF_ERROR(agent.Start());
  sd_notify(0, "READY=1");
  WatchdogPinger watchdog;
  WaitForShutdown();
  sd_notify(0, "STOPPING=1");
  agent.Stop();
  spdlog::info("stopped");
  return absl::OkStatus();
}

void Daemon::WaitForShutdown() {
  const sigset_t signals = ShutdownSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Reload();
      continue;
    }
    spdlog::info("{}: shutting down (in-flight calls get {} s)",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", config_.shutdown_grace_seconds);
    return;
  }
}

}  // namespace hvagent::daemon
