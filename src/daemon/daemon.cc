#include "hvagent/daemon/daemon.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "hvagent/api/host_service.h"
#include "hvagent/common/logging.h"
#include "hvagent/common/version.h"
#include "hvagent/host/backend_monitor.h"
#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {

constexpr const char* kHostServiceName = "hvagent.v1.HostService";

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// True when something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

// Makes the socket's directory and removes a stale socket a previous run left;
// refuses to steal the socket of a daemon that still runs.
Status PrepareUnixSocket(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        fmt::format("cannot create the directory of api.unix_socket '{}': {}", path, ec.message()));
  }
  if (std::filesystem::exists(path, ec)) {
    if (SocketIsLive(path)) {
      return absl::AlreadyExistsError(
          fmt::format("another process already serves api.unix_socket '{}'", path));
    }
    std::filesystem::remove(path, ec);
  }
  return absl::OkStatus();
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
  HVAGENT_RETURN_IF_ERROR(PrepareUnixSocket(config_.unix_socket));

  std::unique_ptr<grpc::Server> server;
  host::BackendMonitor monitor(
      {.libvirt_uri = config_.libvirt_uri}, [&server](const host::HostSnapshot& snapshot) {
        if (server) {
          server->GetHealthCheckService()->SetServingStatus(snapshot.libvirt.connected);
        }
      });
  monitor.Start();

  api::HostServiceImpl host_service(monitor);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config_.unix_socket, grpc::InsecureServerCredentials());
  builder.RegisterService(&host_service);
  {
    // The socket is created 0600 (owner only) from the start, not chmod-ed later.
    const mode_t old_umask = umask(0177);
    server = builder.BuildAndStart();
    umask(old_umask);
  }
  if (!server) {
    return absl::UnavailableError(
        fmt::format("cannot listen on api.unix_socket '{}'", config_.unix_socket));
  }
  const bool serving = monitor.Snapshot().libvirt.connected;
  server->GetHealthCheckService()->SetServingStatus(serving);
  server->GetHealthCheckService()->SetServingStatus(kHostServiceName, true);

  spdlog::info("hvagentd {} serving on unix:{} (libvirt {})", kAgentVersion, config_.unix_socket,
               serving ? "connected" : "unreachable");
  sd_notify(0, "READY=1");
  WatchdogPinger watchdog;

  const sigset_t signals = ShutdownSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      Reload();
      continue;
    }
    spdlog::info("{}: shutting down (in-flight calls get {} s)",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", config_.shutdown_grace_seconds);
    break;
  }
  sd_notify(0, "STOPPING=1");
  server->GetHealthCheckService()->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(config_.shutdown_grace_seconds));
  server->Wait();
  monitor.Stop();
  std::error_code ec;
  std::filesystem::remove(config_.unix_socket, ec);
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace hvagent::daemon
