#include "hvagent/host/backend_monitor.h"

#include <unistd.h>

#include <algorithm>
#include <array>

#include "spdlog/spdlog.h"

namespace hvagent::host {

namespace {
std::string KernelHostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) {
    return "";
  }
  return std::string(buf.data());
}
}  // namespace

BackendMonitor::BackendMonitor(Options options, ChangeCallback on_change)
    : options_(std::move(options)), on_change_(std::move(on_change)) {
  snapshot_.hostname = KernelHostname();
  snapshot_.libvirt.endpoint = options_.libvirt_uri;
  snapshot_.libvirt.last_error = "not probed yet";
}

BackendMonitor::~BackendMonitor() { Stop(); }

void BackendMonitor::Start() {
  Probe();
  thread_ = std::thread([this] { Run(); });
}

void BackendMonitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

HostSnapshot BackendMonitor::Snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

void BackendMonitor::Run() {
  std::chrono::milliseconds wait = options_.probe_interval;
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, wait, [this] { return stopping_; })) {
        return;
      }
    }
    // Back off while libvirtd stays away; probe at the normal pace once back.
    wait = Probe() ? options_.probe_interval : std::min(wait * 2, options_.max_backoff);
  }
}

bool BackendMonitor::Probe() {
  BackendStatus status;
  status.endpoint = options_.libvirt_uri;
  if (connection_ && !connection_->IsAlive()) {
    connection_.reset();
  }
  if (!connection_) {
    auto opened = libvirt::Connection::Open(options_.libvirt_uri);
    if (opened.ok()) {
      connection_ = *std::move(opened);
    } else {
      status.last_error = MessageOf(opened.status());
    }
  }
  std::string hostname;
  if (connection_) {
    auto version = connection_->LibvirtVersion();
    if (version.ok()) {
      status.connected = true;
      status.version = *version;
      hostname = connection_->Hostname().value_or("");
    } else {
      status.last_error = MessageOf(version.status());
      connection_.reset();
    }
  }

  HostSnapshot changed;
  bool did_change = false;
  {
    std::lock_guard lock(mu_);
    did_change = snapshot_.libvirt.connected != status.connected;
    if (!hostname.empty()) {
      snapshot_.hostname = hostname;
    }
    snapshot_.libvirt = status;
    changed = snapshot_;
  }
  if (did_change) {
    if (status.connected) {
      spdlog::info("libvirt at {} connected (libvirt {})", status.endpoint, status.version);
    } else {
      spdlog::warn("libvirt at {} unreachable: {}", status.endpoint, status.last_error);
    }
  }
  if (did_change && on_change_) {
    on_change_(changed);
  }
  return status.connected;
}

}  // namespace hvagent::host
