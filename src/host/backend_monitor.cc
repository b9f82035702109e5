#include "hvagent/host/backend_monitor.h"

#include <algorithm>

#include "spdlog/spdlog.h"

namespace hvagent::host {

BackendMonitor::BackendMonitor(std::vector<std::unique_ptr<BackendProbe>> probes, Options options,
                               ChangeCallback on_change)
    : probes_(std::move(probes)), options_(options), on_change_(std::move(on_change)) {
  const auto now = std::chrono::system_clock::now();
  for (const auto& probe : probes_) {
    status_[probe->name()] = {.name = probe->name(),
                              .endpoint = probe->endpoint(),
                              .last_error = "not probed yet",
                              .since = now};
  }
}

BackendMonitor::~BackendMonitor() { Stop(); }

void BackendMonitor::Start() {
  ProbeAll();
  thread_ = std::thread([this] { Run(); });
}

void BackendMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

BackendStatus BackendMonitor::Status(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto it = status_.find(name);
  return it != status_.end() ? it->second : BackendStatus{.name = name};
}

bool BackendMonitor::AllConnected() const {
  std::lock_guard lock(mu_);
  return std::all_of(status_.begin(), status_.end(),
                     [](const auto& entry) { return entry.second.connected; });
}

void BackendMonitor::Run() {
  std::chrono::milliseconds wait = options_.probe_interval;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
    }
    // Back off while a backend stays away; probe at the normal pace once back.
    wait = ProbeAll() ? options_.probe_interval : std::min(wait * 2, options_.max_backoff);
  }
}

bool BackendMonitor::ProbeAll() {
  bool all = true;
  for (const auto& probe : probes_) {
    auto version = probe->Probe();
    BackendStatus changed;
    bool did_change = false;
    {
      std::lock_guard lock(mu_);
      BackendStatus& status = status_[probe->name()];
      did_change = status.connected != version.ok();
      status.connected = version.ok();
      status.version = version.ok() ? *version : "";
      status.last_error = version.ok() ? "" : MessageOf(version.status());
      if (did_change) status.since = std::chrono::system_clock::now();
      changed = status;
    }
    all = all && changed.connected;
    if (!did_change) continue;
    if (changed.connected) {
      spdlog::info("{} at {} connected (version {})", changed.name, changed.endpoint,
                   changed.version);
    } else {
      spdlog::warn("{} at {} unreachable: {}", changed.name, changed.endpoint, changed.last_error);
    }
    if (on_change_) on_change_(changed);
  }
  return all;
}

}  // namespace hvagent::host
