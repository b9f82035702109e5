// Keeps the agent's view of its backends current without blocking callers:
// a thread (re)connects to libvirtd with backoff and probes it, and readers
// take the latest snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "hvagent/libvirt/connection.h"

namespace hvagent::host {

struct BackendStatus {
  std::string endpoint;
  bool connected = false;
  std::string version;     // set while connected
  std::string last_error;  // set while not connected
};

struct HostSnapshot {
  std::string hostname;
  BackendStatus libvirt;
};

class BackendMonitor {
 public:
  struct Options {
    std::string libvirt_uri;
    std::chrono::milliseconds probe_interval{2000};
    std::chrono::milliseconds max_backoff{10000};
  };
  // Called on the monitor's thread whenever a backend's connectivity changes.
  using ChangeCallback = std::function<void(const HostSnapshot&)>;

  BackendMonitor(Options options, ChangeCallback on_change);
  ~BackendMonitor();
  BackendMonitor(const BackendMonitor&) = delete;
  BackendMonitor& operator=(const BackendMonitor&) = delete;

  // Probes once synchronously, then keeps probing on a thread.
  void Start();
  void Stop();

  HostSnapshot Snapshot() const;

 private:
  void Run();
  // One probe: connect if needed, check liveness, refresh the snapshot.
  // Returns whether libvirtd is reachable.
  bool Probe();

  const Options options_;
  const ChangeCallback on_change_;
  std::unique_ptr<libvirt::Connection> connection_;  // monitor thread only

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  HostSnapshot snapshot_;
  std::thread thread_;
};

}  // namespace hvagent::host
