// The agent's one libvirt connection, shared by its workers. Keep-alives
// (driven by the EventLoop) notice a dead libvirtd; the next Get reconnects,
// no more often than the backoff allows, so calls while libvirtd is down fail
// fast with UNAVAILABLE and calls after it is back succeed. Domain lifecycle
// events of every (re)connection go to one listener; a DomainWatch hears of
// every domain that may have changed, and whether it hears of all of them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hvagent/libvirt/connection.h"

namespace hvagent::libvirt {

struct LifecycleEvent {
  std::string domain_name;
  std::string domain_uuid;
  int event = 0;   // virDomainEventType
  int detail = 0;  // its virDomainEvent*DetailType
  // What the event leaves the domain in, and why, in words ("started",
  // "shut down by the guest", "destroyed", "crashed", "defined"…).
  DomainState state = DomainState::kNoState;
  std::string reason;

  // Its QEMU ended: shut down, powered off, crashed, migrated away, failed.
  bool Stopped() const;
  // The domain is gone from libvirt.
  bool Undefined() const;
  // Its QEMU here stopped because a migration handed it to another host.
  bool MigratedAway() const;
};

class ConnectionManager {
 public:
  struct Options {
    std::string uri;
    std::chrono::milliseconds min_backoff{250};
    std::chrono::milliseconds max_backoff{10000};
    // libvirt closes the connection after `keepalive_count` unanswered probes
    // sent every `keepalive_interval_seconds`.
    int keepalive_interval_seconds = 2;
    unsigned keepalive_count = 3;
  };
  // Called on the event loop thread: must not block.
  using LifecycleListener = std::function<void(const LifecycleEvent&)>;
  // What a cache of domains needs to be trusted: `changed` for every domain
  // that may have changed (lifecycle, device added or removed, metadata),
  // and `live(true)` once a connection has all those events subscribed,
  // `live(false)` when it goes (closed, or dropped). Called on the event loop
  // thread or a caller of Get: must not block, nor call back into this.
  struct DomainWatch {
    std::function<void(const std::string& domain_name)> changed;
    std::function<void(bool live)> live;
  };

  // Needs a running EventLoop for keep-alives and events.
  ConnectionManager(Options options, LifecycleListener listener, DomainWatch watch = {});
  ~ConnectionManager();
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  // The live connection, reconnecting if it is gone and the backoff allows.
  StatusOr<std::shared_ptr<Connection>> Get();

  const std::string& uri() const { return options_.uri; }

 private:
  void DropLocked(bool tell_watch = true);
  // Subscribes the watch's events on conn_: whether every one was.
  bool WatchLocked();
  void Changed(virDomainPtr dom) const;
  static int OnLifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void* opaque);
  static void OnDevice(virConnectPtr conn, virDomainPtr dom, const char* alias, void* opaque);
  static void OnMetadata(virConnectPtr conn, virDomainPtr dom, int type, const char* uri,
                         void* opaque);
  static void OnClose(virConnectPtr conn, int reason, void* opaque);

  const Options options_;
  const LifecycleListener listener_;
  const DomainWatch watch_;
  std::mutex mu_;
  std::shared_ptr<Connection> conn_;
  int lifecycle_callback_ = -1;
  std::vector<int> watch_callbacks_;  // the device and metadata events'
  bool close_callback_ = false;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::string last_error_;
};

}  // namespace hvagent::libvirt
