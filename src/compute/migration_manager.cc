#include "hvagent/compute/migration_manager.h"

#include <atomic>
#include <thread>

#include "hvagent/compute/domain_xml.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {
constexpr std::string_view kKind = "migration";
// The phases of a migration an earlier agent began and libvirt still runs.
constexpr std::string_view kContinuing = "continuing after an agent restart";
constexpr std::string_view kCancelling = "cancelling after an agent restart";
// Recorded before a cancel of a running migration takes effect.
constexpr std::string_view kCancelRequested = "cancelling";

bool IsCancelling(std::string_view phase) {
  return phase == kCancelling || phase == kCancelRequested;
}
}  // namespace

MigrationManager::MigrationManager(Options options, Hypervisor& hypervisor, NicBackend& nics,
                                   MigrationPeerConnector connect, Listener listener)
    : options_(options),
      hypervisor_(hypervisor),
      nics_(nics),
      connect_(std::move(connect)),
      listener_(std::move(listener)),
      operations_([this](const OperationSnapshot& snapshot) {
        const MigrationStatus status = StatusOf(snapshot);
        Journal(status);
        if (listener_) listener_(status);
      }) {}

void MigrationManager::Journal(MigrationStatus status) {
  if (options_.journal == nullptr) return;
  std::lock_guard lock(journal_mu_);
  // Once a cancel is recorded, a progress report does not undo it.
  if (status.state == OperationState::kRunning && cancel_recorded_.contains(status.id)) {
    status.phase = std::string(kCancelRequested);
  }
  auto [last, first] = journaled_.try_emplace(status.id, status.state, status.phase);
  if (!first) {
    // Not on every progress tick; and never back to running once ended (a
    // cancel request's event may come after the end's).
    if (last->second.first != OperationState::kRunning) return;
    if (last->second == std::pair(status.state, status.phase)) return;
    last->second = {status.state, status.phase};
  }
  if (Status written = options_.journal->Record(status); !written.ok()) {
    spdlog::warn("migration {}: not recorded ({}): a restarted agent may not know it", status.id,
                 written);
  }
}

StatusOr<MigrationStatus> MigrationManager::Recorded(const std::string& id) const {
  const auto not_found = absl::NotFoundError(fmt::format("no migration '{}'", id));
  if (options_.journal == nullptr) return not_found;
  HVAGENT_ASSIGN_OR_RETURN(std::optional<MigrationStatus> recorded, options_.journal->Find(id));
  if (!recorded.has_value()) return not_found;
  if (recorded->state != OperationState::kRunning) return *recorded;
  return Resolve(*std::move(recorded));
}

StatusOr<MigrationStatus> MigrationManager::Resolve(MigrationStatus recorded) const {
  // The agent that began it is gone (this one does not run it): where the VM
  // is now says how it ended.
  const std::string& name = recorded.vm_name;
  bool another_runs = false;
  for (const OperationSnapshot& op : operations_.List()) {
    another_runs |= op.kind == kKind && op.object == name && op.state == OperationState::kRunning;
  }
  auto domain = hypervisor_.LookupDomain(name);
  if (!domain.ok() && domain.status().code() != absl::StatusCode::kNotFound) {
    return Annotate(domain.status(),
                    fmt::format("migration {}: where is VM '{}'", recorded.id, name));
  }
  std::optional<StatusOr<bool>> held;  // read when there is no job
  if (domain.ok()) {
    // A migration this agent started since began with the VM here: the
    // recorded one had ended, and the job is not its.
    auto job = another_runs ? StatusOr<MigrationJob>(MigrationJob{}) : (*domain)->Job(false);
    if (job.ok() && job->active) {
      if (!IsCancelling(recorded.phase)) recorded.phase = std::string(kContinuing);
      recorded.data_total_bytes = job->data_total;
      recorded.data_processed_bytes = job->data_processed;
      recorded.data_remaining_bytes = job->data_remaining;
      recorded.downtime_ms = job->downtime_ms;
      return recorded;
    }
    // No job, but the source has stopped the VM it handed over and not yet
    // undefined it (libvirt's confirm phase; its job reads "not running"):
    // not an ending yet.
    if (!another_runs) {
      held = (*domain)->HeldByMigration();
      if (held->ok() && **held) {
        if (!IsCancelling(recorded.phase)) recorded.phase = std::string(kContinuing);
        return recorded;
      }
      if (!held->ok() && held->status().code() != absl::StatusCode::kNotFound) {
        return Annotate(held->status(),
                        fmt::format("migration {}: where is VM '{}'", recorded.id, name));
      }
    }
  }
  const bool gone = !domain.ok() || (held.has_value() && !held->ok());
  if (gone) {
    recorded.state = OperationState::kSucceeded;
    recorded.phase = "completed";
    recorded.result = absl::OkStatus();
    recorded.data_processed_bytes = recorded.data_total_bytes;
    recorded.data_remaining_bytes = 0;
  } else {
    // The VM stays here: what the destination prepared for it (its NICs)
    // waits there for an end its source never sent. Send it now rather than
    // leave it to the destination's grace (the fault suite: a source killed
    // while the destination prepared left B's NICs behind).
    TellDestinationTheArrivalIsOff(recorded, **domain);
    if (IsCancelling(recorded.phase)) {
      recorded.state = OperationState::kCancelled;
      recorded.result = absl::CancelledError(
          fmt::format("cancelled after an agent restart; VM '{}' stays on the source", name));
    } else {
      recorded.state = OperationState::kFailed;
      recorded.result = absl::AbortedError(
          fmt::format("the agent restarted mid-migration (phase '{}'); VM '{}' stays on the source",
                      recorded.phase, name));
    }
  }
  spdlog::info("migration {}: left unfinished by an earlier agent, resolved as {}", recorded.id,
               OperationStateName(recorded.state));
  if (Status written = options_.journal->Record(recorded); !written.ok()) {
    spdlog::warn("migration {}: resolution not recorded: {}", recorded.id, written);
  }
  return recorded;
}

void MigrationManager::TellDestinationTheArrivalIsOff(const MigrationStatus& recorded,
                                                      const HypervisorDomain& domain) const {
  if (!recorded.live || recorded.destination.empty()) return;  // offline: nothing prepared
  auto xml = domain.PersistentXml();
  auto peer = xml.ok() ? connect_(recorded.destination)
                       : StatusOr<std::unique_ptr<MigrationPeer>>(xml.status());
  const Status aborted = peer.ok() ? (*peer)->AbortIncoming(*xml) : peer.status();
  if (!aborted.ok()) {
    spdlog::warn(
        "migration {}: destination {} not told that VM '{}' stays here ({}); it drops "
        "what it prepared when its grace ends",
        recorded.id, recorded.destination, recorded.vm_name, aborted);
  }
}

MigrationStatus MigrationManager::StatusOf(const OperationSnapshot& snapshot) const {
  MigrationStatus status{.id = snapshot.id,
                         .vm_name = snapshot.object,
                         .state = snapshot.state,
                         .phase = snapshot.progress.phase,
                         .data_total_bytes = snapshot.progress.total,
                         .data_processed_bytes = snapshot.progress.done,
                         .result = snapshot.result,
                         .started = snapshot.started};
  status.data_remaining_bytes = snapshot.progress.total > snapshot.progress.done
                                    ? snapshot.progress.total - snapshot.progress.done
                                    : 0;
  std::lock_guard lock(mu_);
  auto it = extra_.find(snapshot.id);
  if (it == extra_.end()) it = starting_.find(snapshot.object);
  if (it != extra_.end() && it != starting_.end()) {
    status.destination = it->second.destination;
    status.live = it->second.live;
    status.downtime_ms = it->second.downtime_ms;
  }
  return status;
}

void MigrationManager::NoteDowntime(const std::string& id, uint64_t ms) {
  std::lock_guard lock(mu_);
  extra_[id].downtime_ms = ms;
}

StatusOr<MigrationStatus> MigrationManager::Start(const MigrationRequest& request) {
  if (request.destination.empty()) {
    return absl::InvalidArgumentError("destination: is required (the destination's agent)");
  }
  if (request.destination_libvirt_uri.empty()) {
    return absl::InvalidArgumentError(
        "destination_libvirt_uri: is required (e.g. \"qemu+tls://host2/system\")");
  }
  if (!request.id.empty()) {
    auto begun = Get(request.id);
    if (begun.status().code() != absl::StatusCode::kNotFound) return begun;
  }
  auto domain = hypervisor_.LookupDomain(request.vm_name);
  if (!domain.ok() && domain.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' does not exist", request.vm_name));
  }
  HVAGENT_RETURN_IF_ERROR(domain.status());
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, (*domain)->PersistentXml());
  HVAGENT_ASSIGN_OR_RETURN(const VmConfig config, ParseDomainXml(xml));
  if (config.external) {
    return absl::FailedPreconditionError(fmt::format(
        "VM '{}' was not created by hvagent: it is listed, never migrated", request.vm_name));
  }
  // A packet processor serves the service chains of this host's br.nf: it
  // stays where its chains are.
  for (const NicConfig& nic : config.nics) {
    if (nic.type == NicType::kNetworkFunction) {
      return absl::FailedPreconditionError(fmt::format(
          "VM '{}' is a packet processor (NIC {} is a network-function NIC): it is bound to its "
          "host and never migrates",
          request.vm_name, nic.mac));
    }
  }
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, (*domain)->State());
  const bool live = IsActive(state);
  if (live && state != DomainState::kRunning && state != DomainState::kPaused) {
    return absl::FailedPreconditionError(
        fmt::format("VM '{}' is {}: only a running, paused or stopped VM migrates", request.vm_name,
                    libvirt::DomainStateName(state)));
  }
  if (!live && request.live) {
    return absl::FailedPreconditionError(fmt::format(
        "VM '{}' is not running: a live migration needs a running VM (live=false moves it "
        "offline)",
        request.vm_name));
  }
  // Before anything moves, the destination says whether it can take the VM.
  HVAGENT_ASSIGN_OR_RETURN(std::unique_ptr<MigrationPeer> peer, connect_(request.destination));
  if (Status checked = peer->CheckIncoming(xml, live); !checked.ok()) {
    return Annotate(checked, fmt::format("destination {}", request.destination));
  }
  // std::function needs a copyable work: the peer is shared.
  auto work = [this, request, live, xml, nics = config.nics,
               peer = std::shared_ptr<MigrationPeer>(std::move(peer))](OperationContext& ctx) {
    return Run(ctx, request, live, xml, nics, *peer);
  };
  {
    std::lock_guard lock(mu_);
    starting_[request.vm_name] = Extra{.destination = request.destination, .live = live};
  }
  auto id = operations_.Start(std::string(kKind), request.vm_name, work, request.id);
  {
    std::lock_guard lock(mu_);
    const Extra extra = starting_[request.vm_name];
    starting_.erase(request.vm_name);
    if (!id.ok()) return id.status();
    // Forget what the registry forgot (it keeps the most recent finished).
    for (auto it = extra_.begin(); it != extra_.end();) {
      it = operations_.Get(it->first).ok() ? std::next(it) : extra_.erase(it);
    }
    // The work may have noted a downtime already.
    Extra& kept = extra_[*id];
    kept.destination = extra.destination;
    kept.live = extra.live;
  }
  {
    std::lock_guard lock(journal_mu_);
    for (auto it = journaled_.begin(); it != journaled_.end();) {
      if (it->second.first == OperationState::kRunning || operations_.Get(it->first).ok()) {
        ++it;
        continue;
      }
      cancel_recorded_.erase(it->first);
      it = journaled_.erase(it);
    }
  }
  spdlog::info("migration {}: VM '{}' {} to {} ({})", *id, request.vm_name,
               live ? "live" : "offline", request.destination, request.destination_libvirt_uri);
  return Get(*id);
}

StatusOr<MigrationStatus> MigrationManager::Get(const std::string& id) const {
  auto snapshot = operations_.Get(id);
  if (!snapshot.ok()) return Recorded(id);
  if (snapshot->kind != kKind) return absl::NotFoundError(fmt::format("no migration '{}'", id));
  return StatusOf(*snapshot);
}

StatusOr<MigrationStatus> MigrationManager::Cancel(const std::string& id) {
  if (auto snapshot = operations_.Get(id); !snapshot.ok()) {
    // An earlier agent's: libvirt may run it on.
    HVAGENT_ASSIGN_OR_RETURN(MigrationStatus recorded, Recorded(id));
    if (recorded.state != OperationState::kRunning) {
      return absl::FailedPreconditionError(fmt::format("migration '{}' has already ended ({})", id,
                                                       OperationStateName(recorded.state)));
    }
    HVAGENT_ASSIGN_OR_RETURN(std::unique_ptr<HypervisorDomain> domain,
                             hypervisor_.LookupDomain(recorded.vm_name));
    HVAGENT_RETURN_IF_ERROR(
        Annotate(domain->AbortJob(), fmt::format("migration {}: abort libvirt's job", id)));
    recorded.phase = std::string(kCancelling);
    HVAGENT_RETURN_IF_ERROR(options_.journal->Record(recorded));
    return recorded;
  }
  HVAGENT_ASSIGN_OR_RETURN(MigrationStatus now, Get(id));
  if (now.state == OperationState::kRunning && options_.journal != nullptr) {
    // Recorded before the abort: an agent killed after it then knows that
    // the migration ended because it was asked to (Resolve: cancelled).
    std::lock_guard lock(journal_mu_);
    if (cancel_recorded_.insert(id).second) {
      now.phase = std::string(kCancelRequested);
      journaled_.insert_or_assign(id, std::pair(now.state, now.phase));
      if (Status written = options_.journal->Record(now); !written.ok()) {
        cancel_recorded_.erase(id);
        return Annotate(written,
                        fmt::format("migration {}: record the cancel (not cancelled)", id));
      }
    }
  }
  HVAGENT_RETURN_IF_ERROR(operations_.Cancel(id));
  return Get(id);
}

Status MigrationManager::Run(OperationContext& ctx, const MigrationRequest& request, bool live,
                             const std::string& domain_xml, const std::vector<NicConfig>& nics,
                             MigrationPeer& peer) {
  const std::string& name = request.vm_name;
  HVAGENT_ASSIGN_OR_RETURN(std::unique_ptr<HypervisorDomain> domain,
                           hypervisor_.LookupDomain(name));
  if (ctx.CancelRequested()) return absl::CancelledError("cancelled before it began");
  if (live) {
    ctx.Report({.phase = "preparing destination"});
    if (Status prepared = peer.PrepareIncoming(domain_xml); !prepared.ok()) {
      return Annotate(prepared, fmt::format("destination {}", request.destination));
    }
  }
  ctx.Report({.phase = "migrating"});
  const MigrationTarget target{.libvirt_uri = request.destination_libvirt_uri,
                               .stream_uri = request.stream_uri,
                               .offline = !live,
                               .auto_converge = request.auto_converge,
                               .bandwidth_mibps = request.max_bandwidth_mibps};
  const Status migrated = MigrateAndWatch(ctx, *domain, target, request.max_downtime_ms);
  if (!migrated.ok()) {
    // Where is the VM now? Only when it is still here is the destination's
    // preparation surely garbage.
    auto here = hypervisor_.LookupDomain(name);
    if (here.ok()) {
      if (live) {
        if (Status undone = peer.AbortIncoming(domain_xml); !undone.ok()) {
          spdlog::warn("migration {}: destination kept what it prepared: {}", ctx.id(), undone);
        }
      }
      spdlog::warn("migration {}: VM '{}' stays here: {}", ctx.id(), name, migrated);
      if (ctx.CancelRequested()) {
        return absl::CancelledError(fmt::format("cancelled; VM '{}' stays on the source", name));
      }
      return Annotate(migrated, fmt::format("VM '{}' stays on the source", name));
    }
    return Annotate(migrated, fmt::format("VM '{}' is no longer here: see the destination", name));
  }
  {
    const auto so_far = operations_.Get(ctx.id());
    ctx.Report({.phase = "cleaning up",
                .done = so_far.ok() ? so_far->progress.done : 0,
                .total = so_far.ok() ? so_far->progress.total : 0});
  }
  // The VM runs there now: this host's taps and ports are leftovers.
  Status cleanup;
  for (const NicConfig& nic : nics) cleanup.Update(nics_.Detach(nic));
  if (live) {
    auto measured = peer.FinishIncoming(domain_xml);
    if (measured.ok() && measured->data_total > 0) {
      NoteDowntime(ctx.id(), measured->downtime_ms);
      ctx.Report(
          {.phase = "cleaning up", .done = measured->data_total, .total = measured->data_total});
    }
    cleanup.Update(measured.status());
  }
  if (!cleanup.ok()) {
    spdlog::warn("migration {}: VM '{}' moved; cleaning up after it: {}", ctx.id(), name, cleanup);
  }
  {
    const auto so_far = operations_.Get(ctx.id());
    ctx.Report({.phase = "completed",
                .done = so_far.ok() ? so_far->progress.done : 0,
                .total = so_far.ok() ? so_far->progress.total : 0});
  }
  spdlog::info("migration {}: VM '{}' now on {}", ctx.id(), name, request.destination);
  return absl::OkStatus();
}

Status MigrationManager::MigrateAndWatch(OperationContext& ctx, HypervisorDomain& domain,
                                         const MigrationTarget& target, uint32_t max_downtime_ms) {
  std::atomic<bool> done{false};
  Status result;
  std::thread migrate([&] {
    result = domain.MigrateToPeer(target);
    done = true;
  });
  bool aborted = false;
  bool downtime_set = max_downtime_ms == 0 || target.offline;
  uint64_t total = 0;
  while (!done) {
    bool cancel = ctx.CancelRequested();
    if (cancel) {
      std::this_thread::sleep_for(options_.poll_interval);  // the abort takes effect
    } else {
      cancel = ctx.WaitForCancel(options_.poll_interval);
    }
    if (done) break;
    if (cancel && !aborted) {
      // Only a running job can be aborted: retry on the next poll until one is.
      if (Status abort = domain.AbortJob(); abort.ok()) {
        aborted = true;
        spdlog::info("migration {}: aborting on request", ctx.id());
      }
    }
    auto job = domain.Job(false);
    if (!job.ok() || !job->active) continue;
    if (!downtime_set) downtime_set = domain.SetMaxDowntime(max_downtime_ms).ok();
    total = job->data_total;
    ctx.Report({.phase = "migrating", .done = job->data_processed, .total = job->data_total});
    NoteDowntime(ctx.id(), job->downtime_ms);
  }
  migrate.join();
  if (result.ok()) {
    ctx.Report({.phase = "migrating", .done = total, .total = total});
  }
  return result;
}

}  // namespace hvagent::compute
