// What the read path serves without asking the hypervisor: each domain's
// definition (parsed), state and start time. Kept current by the hypervisor's
// domain events (lifecycle, device, metadata: DomainChanged, from libvirt's
// event loop) and by the agent's own changes (InvalidatingHypervisor marks a
// domain before its change returns, so a read after it never sees the old
// one). Trusted only while events flow: SetLive(true) once a connection
// subscribed to them, SetLive(false) when it goes; not live, every read goes
// to the hypervisor, as if there were no cache. A changed domain is read again
// on its next read; a read that a change overtook answers its caller but is
// not kept.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

struct CachedDomain {
  // For what changes all the time while it runs (CPU time, memory in use).
  std::shared_ptr<HypervisorDomain> domain;
  VmConfig config;  // the persistent definition
  DomainState state = DomainState::kNoState;
  // The agent's note of when it powered on the current run, if it did.
  std::optional<int64_t> started_unix_ms;
};

// Which domains a List wants: by name after `after` (empty: from the first),
// those `wanted` says (null: all), at most `limit`. A page of a listing then
// costs its own size, not the host's.
struct DomainWindow {
  std::string after;
  size_t limit = std::numeric_limits<size_t>::max();
  std::function<bool(const VmConfig&)> wanted;
};

// `domain` as it is now, without its handle (`domain` stays the caller's).
StatusOr<CachedDomain> ReadDomain(const HypervisorDomain& domain);

class DomainCache {
 public:
  explicit DomainCache(Hypervisor& hypervisor) : hypervisor_(hypervisor) {}
  DomainCache(const DomainCache&) = delete;
  DomainCache& operator=(const DomainCache&) = delete;

  // Whether DomainChanged hears of every change from now on (a connection
  // with its events subscribed), or not (gone). Either way what was kept is
  // dropped: what happened meanwhile is unknown.
  void SetLive(bool live);
  bool live() const;
  // Something about the domain named `name` may have changed (it may be new,
  // or gone). Never blocks on the hypervisor: called on its event thread.
  void DomainChanged(const std::string& name);

  // The domain named `name`; NOT_FOUND when there is none.
  StatusOr<CachedDomain> Get(const std::string& name);
  // The domains in `window`, sorted by name. One that cannot be read (gone
  // meanwhile) is skipped, never the whole list failed.
  StatusOr<std::vector<CachedDomain>> List(const DomainWindow& window = {});
  // Every definition `wanted` says (null: all) passed to `visit`, in name
  // order, the cached ones without a copy: for what is summed over every VM
  // on each call (the MACs in use, NICs per network), which List would copy
  // whole. `visit` may run under the cache's lock: it must not call the cache.
  Status ForEach(const std::function<bool(const VmConfig&)>& wanted,
                 const std::function<void(const VmConfig&)>& visit);

  // Reads answered from memory, and domains read from the hypervisor.
  struct Stats {
    uint64_t hits = 0;
    uint64_t reads = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    // Bumped by every change: a read begun before it is not kept.
    uint64_t version = 0;
    std::optional<CachedDomain> value;  // nullopt: to be read
  };
  // What a read of one domain started from.
  struct Ticket {
    uint64_t epoch = 0;
    uint64_t version = 0;
  };

  // `domain` as it is now.
  StatusOr<CachedDomain> Read(std::unique_ptr<HypervisorDomain> domain);
  StatusOr<std::vector<CachedDomain>> ListUncached(const DomainWindow& window);
  // Makes an entry, to be read, for every domain the hypervisor lists (and
  // forgets those it does not), unless that is done since SetLive(true);
  // their handles go to `listed`. False: not live (any more).
  StatusOr<bool> CompleteEntries(std::map<std::string, std::unique_ptr<HypervisorDomain>>& listed);
  // The entry of `name` (made, to be read, if there is none) and its ticket.
  Ticket TicketLocked(const std::string& name);
  // Keeps `read` (or, NOT_FOUND, forgets `name`) unless a change overtook it.
  void KeepLocked(const std::string& name, const Ticket& ticket,
                  const StatusOr<CachedDomain>& read);

  Hypervisor& hypervisor_;
  mutable std::mutex mu_;
  bool live_ = false;
  uint64_t epoch_ = 0;  // bumped by SetLive
  uint64_t next_version_ = 0;
  // Every domain has an entry: a full listing since SetLive(true), and the
  // events since. A name without one is then no domain.
  bool complete_ = false;
  std::map<std::string, Entry> entries_;
  Stats stats_;
};

}  // namespace hvagent::compute
