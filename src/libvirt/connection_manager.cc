#include "hvagent/libvirt/connection_manager.h"

#include <array>

#include "hvagent/libvirt/libvirt_error.h"
#include "spdlog/spdlog.h"

namespace hvagent::libvirt {

ConnectionManager::ConnectionManager(Options options, LifecycleListener listener)
    : options_(std::move(options)), listener_(std::move(listener)) {}

ConnectionManager::~ConnectionManager() {
  std::lock_guard lock(mu_);
  DropLocked();
}

void ConnectionManager::DropLocked() {
  if (conn_ && lifecycle_callback_ >= 0) {
    // Fails harmlessly when the connection is already dead.
    virConnectDomainEventDeregisterAny(conn_->raw(), lifecycle_callback_);
  }
  lifecycle_callback_ = -1;
  conn_.reset();
}

namespace {

// The state a lifecycle event leaves the domain in, and why.
std::pair<DomainState, std::string> Describe(int event, int detail) {
  switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: return {DomainState::kShutOff, "defined"};
    case VIR_DOMAIN_EVENT_UNDEFINED: return {DomainState::kNoState, "undefined"};
    case VIR_DOMAIN_EVENT_STARTED: return {DomainState::kRunning, "started"};
    case VIR_DOMAIN_EVENT_SUSPENDED: return {DomainState::kPaused, "paused"};
    case VIR_DOMAIN_EVENT_RESUMED: return {DomainState::kRunning, "resumed"};
    case VIR_DOMAIN_EVENT_SHUTDOWN: return {DomainState::kShuttingDown, "shutting down"};
    case VIR_DOMAIN_EVENT_PMSUSPENDED: return {DomainState::kSuspended, "suspended by the guest"};
    case VIR_DOMAIN_EVENT_CRASHED: return {DomainState::kCrashed, "crashed"};
    case VIR_DOMAIN_EVENT_STOPPED:
      switch (detail) {
        case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN: return {DomainState::kShutOff, "shut down"};
        case VIR_DOMAIN_EVENT_STOPPED_DESTROYED: return {DomainState::kShutOff, "powered off"};
        case VIR_DOMAIN_EVENT_STOPPED_CRASHED: return {DomainState::kCrashed, "crashed"};
        case VIR_DOMAIN_EVENT_STOPPED_MIGRATED: return {DomainState::kShutOff, "migrated away"};
        case VIR_DOMAIN_EVENT_STOPPED_FAILED: return {DomainState::kShutOff, "QEMU failed"};
        default: return {DomainState::kShutOff, "stopped"};
      }
    default: return {DomainState::kNoState, "changed"};
  }
}

}  // namespace

int ConnectionManager::OnLifecycle(virConnectPtr /*conn*/, virDomainPtr dom, int event, int detail,
                                   void* opaque) {
  auto* self = static_cast<ConnectionManager*>(opaque);
  auto [state, reason] = Describe(event, detail);
  LifecycleEvent e{.event = event, .detail = detail, .state = state, .reason = std::move(reason)};
  if (const char* name = virDomainGetName(dom)) e.domain_name = name;
  std::array<char, VIR_UUID_STRING_BUFLEN> uuid{};
  if (virDomainGetUUIDString(dom, uuid.data()) == 0) e.domain_uuid = uuid.data();
  if (self->listener_) self->listener_(e);
  return 0;
}

StatusOr<std::shared_ptr<Connection>> ConnectionManager::Get() {
  std::lock_guard lock(mu_);
  if (conn_ && conn_->IsAlive()) return conn_;
  if (conn_) {
    spdlog::warn("libvirt connection to {} lost", options_.uri);
    DropLocked();
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    return absl::UnavailableError(fmt::format(
        "libvirtd at {} is unreachable (next attempt in {} ms): {}", options_.uri,
        std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now).count(),
        last_error_));
  }
  auto opened = Connection::Open(options_.uri);
  if (!opened.ok()) {
    backoff_ =
        backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
    next_attempt_ = now + backoff_;
    last_error_ = MessageOf(opened.status());
    return opened.status();
  }
  std::shared_ptr<Connection> conn = std::move(*opened);
  // Not every driver has keep-alives (test:///default has none): then a dead
  // daemon shows up as a failing call instead.
  if (virConnectSetKeepAlive(conn->raw(), options_.keepalive_interval_seconds,
                             options_.keepalive_count) < 0) {
    spdlog::debug("{}", LastLibvirtError("libvirt keep-alive"));
  }
  lifecycle_callback_ = virConnectDomainEventRegisterAny(
      conn->raw(), nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
      VIR_DOMAIN_EVENT_CALLBACK(&ConnectionManager::OnLifecycle), this, nullptr);
  if (lifecycle_callback_ < 0) {
    spdlog::warn("{}", LastLibvirtError("register for domain lifecycle events"));
  }
  backoff_ = std::chrono::milliseconds(0);
  next_attempt_ = {};
  last_error_.clear();
  conn_ = std::move(conn);
  spdlog::info("libvirt connection to {} open", options_.uri);
  return conn_;
}

}  // namespace hvagent::libvirt
