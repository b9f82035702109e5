// Keeps the agent's view of its backends current without blocking callers:
// a thread (re)connects to each backend with backoff and probes it, and
// readers take the latest snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hvagent/host/backend_probe.h"

namespace hvagent::host {

struct BackendStatus {
  std::string name;
  std::string endpoint;
  bool connected = false;
  std::string version;                          // set while connected
  std::string last_error;                       // set while not connected
  std::chrono::system_clock::time_point since;  // when `connected` last changed
};

class BackendMonitor {
 public:
  struct Options {
    std::chrono::milliseconds probe_interval{2000};
    std::chrono::milliseconds max_backoff{10000};
  };
  // Called on the monitor's thread whenever a backend's connectivity changes.
  using ChangeCallback = std::function<void(const BackendStatus&)>;

  BackendMonitor(std::vector<std::unique_ptr<BackendProbe>> probes, Options options,
                 ChangeCallback on_change);
  ~BackendMonitor();
  BackendMonitor(const BackendMonitor&) = delete;
  BackendMonitor& operator=(const BackendMonitor&) = delete;

  // Probes once synchronously, then keeps probing on a thread.
  void Start();
  void Stop();

  // The status of backend `name` ("libvirt", "ovsdb").
  BackendStatus Status(const std::string& name) const;
  bool AllConnected() const;

 private:
  void Run();
  // Probes every backend; returns whether all are reachable.
  bool ProbeAll();

  std::vector<std::unique_ptr<BackendProbe>> probes_;  // monitor thread only
  const Options options_;
  const ChangeCallback on_change_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, BackendStatus> status_;
  std::thread thread_;
};

}  // namespace hvagent::host
