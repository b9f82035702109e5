#include "hvagent/libvirt/connection_manager.h"

#include <array>

#include "hvagent/libvirt/libvirt_error.h"
#include "spdlog/spdlog.h"

namespace hvagent::libvirt {

ConnectionManager::ConnectionManager(Options options, LifecycleListener listener, DomainWatch watch)
    : options_(std::move(options)), listener_(std::move(listener)), watch_(std::move(watch)) {}

ConnectionManager::~ConnectionManager() {
  std::lock_guard lock(mu_);
  DropLocked(/*tell_watch=*/false);  // whoever watches may be gone already
}

void ConnectionManager::DropLocked(bool tell_watch) {
  if (conn_) {
    // Each fails harmlessly when the connection is already dead.
    if (lifecycle_callback_ >= 0) {
      virConnectDomainEventDeregisterAny(conn_->raw(), lifecycle_callback_);
    }
    for (const int id : watch_callbacks_) virConnectDomainEventDeregisterAny(conn_->raw(), id);
    if (close_callback_) virConnectUnregisterCloseCallback(conn_->raw(), &OnClose);
  }
  lifecycle_callback_ = -1;
  watch_callbacks_.clear();
  close_callback_ = false;
  if (conn_ && tell_watch && watch_.live) watch_.live(false);
  conn_.reset();
}

bool ConnectionManager::WatchLocked() {
  bool all = lifecycle_callback_ >= 0;
  for (const int id : {VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED}) {
    const int callback = virConnectDomainEventRegisterAny(
        conn_->raw(), nullptr, id, VIR_DOMAIN_EVENT_CALLBACK(&ConnectionManager::OnDevice), this,
        nullptr);
    if (callback < 0) all = false;
    if (callback >= 0) watch_callbacks_.push_back(callback);
  }
  const int metadata = virConnectDomainEventRegisterAny(
      conn_->raw(), nullptr, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
      VIR_DOMAIN_EVENT_CALLBACK(&ConnectionManager::OnMetadata), this, nullptr);
  if (metadata < 0) all = false;
  if (metadata >= 0) watch_callbacks_.push_back(metadata);
  close_callback_ = virConnectRegisterCloseCallback(conn_->raw(), &OnClose, this, nullptr) == 0;
  if (!all || !close_callback_) {
    spdlog::warn("{}: domain events not all subscribed, domains are read from libvirt each time",
                 options_.uri);
    return false;
  }
  return true;
}

void ConnectionManager::Changed(virDomainPtr dom) const {
  if (!watch_.changed) return;
  if (const char* name = virDomainGetName(dom)) watch_.changed(name);
}

void ConnectionManager::OnDevice(virConnectPtr /*conn*/, virDomainPtr dom, const char* /*alias*/,
                                 void* opaque) {
  static_cast<ConnectionManager*>(opaque)->Changed(dom);
}

void ConnectionManager::OnMetadata(virConnectPtr /*conn*/, virDomainPtr dom, int /*type*/,
                                   const char* /*uri*/, void* opaque) {
  static_cast<ConnectionManager*>(opaque)->Changed(dom);
}

void ConnectionManager::OnClose(virConnectPtr /*conn*/, int /*reason*/, void* opaque) {
  // Events stop with the connection: nothing kept can be trusted until the
  // next one (Get) subscribes again.
  auto* self = static_cast<ConnectionManager*>(opaque);
  if (self->watch_.live) self->watch_.live(false);
}

bool LifecycleEvent::Stopped() const { return event == VIR_DOMAIN_EVENT_STOPPED; }

bool LifecycleEvent::Undefined() const { return event == VIR_DOMAIN_EVENT_UNDEFINED; }

bool LifecycleEvent::MigratedAway() const {
  return event == VIR_DOMAIN_EVENT_STOPPED && detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED;
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
  // The cache first: a listener that reads the domain sees it changed.
  self->Changed(dom);
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
  // Subscribed first, then live: a change from here on is heard, and what
  // was kept before is dropped.
  if (watch_.live) watch_.live(WatchLocked());
  spdlog::info("libvirt connection to {} open", options_.uri);
  return conn_;
}

}  // namespace hvagent::libvirt
