// Migrations away from this host. Each is an operation of its own
// OperationRegistry (a thread of its own: no worker is held while it runs):
// the destination's agent is asked first (MigrationPeer: the VM's networks,
// the configuration maximums), prepares the VM's taps and ports, then libvirt
// migrates peer to peer (live, persistent there, undefined here) while the
// job's progress is polled; cancel aborts the job. After success this host's
// taps and ports go; after any failure the VM runs on here and the
// destination removes what it prepared.
//
// With a MigrationJournal each migration is also recorded durably (at start
// and at each phase or state change): a restarted agent answers for the ones
// it began, resolving those a killed agent left unfinished from where the VM
// is now.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "hvagent/common/operation_registry.h"
#include "hvagent/common/status.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/compute/migration_journal.h"
#include "hvagent/compute/migration_peer.h"
#include "hvagent/compute/nic_backend.h"

namespace hvagent::compute {

struct MigrationRequest {
  // The migration's id, recorded by the caller before it starts (a retried
  // request's is the same); empty: a new one.
  std::string id;
  std::string vm_name;
  // The destination's agent ("unix:/run/hvagent.sock", "host2:7443").
  std::string destination;
  // The destination's libvirtd as this host's libvirtd reaches it.
  std::string destination_libvirt_uri;
  // Where QEMU's stream goes ("tcp://10.0.0.2"); empty: libvirt's choice.
  std::string stream_uri;
  // Required true for a running VM's live migration; a stopped VM moves
  // offline (its definition) either way.
  bool live = true;
  uint64_t max_bandwidth_mibps = 0;  // 0: unlimited
  uint32_t max_downtime_ms = 0;      // 0: libvirt's default (300 ms)
  bool auto_converge = false;
};

struct MigrationStatus {
  std::string id;
  std::string vm_name;
  std::string destination;
  bool live = true;
  OperationState state = OperationState::kRunning;
  std::string phase;  // "preparing destination", "migrating", "cleaning up", …
  uint64_t data_total_bytes = 0;
  uint64_t data_remaining_bytes = 0;
  uint64_t data_processed_bytes = 0;
  // Expected while running, measured once completed (when libvirt says).
  uint64_t downtime_ms = 0;
  Status result;  // once finished
  std::chrono::system_clock::time_point started;
};

class MigrationManager {
 public:
  using Listener = std::function<void(const MigrationStatus&)>;
  struct Options {
    // How often the job's progress is read (and a cancel noticed).
    std::chrono::milliseconds poll_interval{200};
    // Where each migration is recorded so that it outlives the agent; none:
    // in memory only. Must outlive the manager.
    MigrationJournal* journal = nullptr;
  };

  MigrationManager(Options options, Hypervisor& hypervisor, NicBackend& nics,
                   MigrationPeerConnector connect, Listener listener = nullptr);
  // Cancels running migrations and waits for them: their VMs stay here.
  ~MigrationManager() = default;
  MigrationManager(const MigrationManager&) = delete;
  MigrationManager& operator=(const MigrationManager&) = delete;

  // Checks here and on the destination (FAILED_PRECONDITION naming the
  // reason, nothing changed anywhere), then starts the migration and returns
  // its first status. A request whose id began a migration already (a retry
  // of a call cut short) gets that migration, wherever its VM is now: never
  // a second one.
  StatusOr<MigrationStatus> Start(const MigrationRequest& request);
  // A migration this agent runs or ran, or (from the journal) one an earlier
  // agent began: one left unfinished is resolved from where its VM is now
  // (gone from here: completed; here with a migration job: running on;
  // here without one: failed, the VM stays here) and the outcome recorded.
  StatusOr<MigrationStatus> Get(const std::string& id) const;
  // Asks a running migration to stop (the VM stays here); NOT_FOUND for an
  // unknown id, FAILED_PRECONDITION once it ended. One an earlier agent
  // began that libvirt still runs: its job is aborted.
  StatusOr<MigrationStatus> Cancel(const std::string& id);

 private:
  struct Extra {
    std::string destination;
    bool live = true;
    uint64_t downtime_ms = 0;
  };
  // The migration's work, on the operation's thread.
  Status Run(OperationContext& ctx, const MigrationRequest& request, bool live,
             const std::string& domain_xml, const std::vector<NicConfig>& nics,
             MigrationPeer& peer);
  // Runs the blocking migrate call on a thread of its own and polls its job
  // meanwhile: progress reported, max downtime set, cancel turned into abort.
  Status MigrateAndWatch(OperationContext& ctx, HypervisorDomain& domain,
                         const MigrationTarget& target, uint32_t max_downtime_ms);
  MigrationStatus StatusOf(const OperationSnapshot& snapshot) const;
  // Records `status` in the journal when its state or phase changed.
  void Journal(MigrationStatus status);
  // The journal's record of a migration the registry does not know.
  StatusOr<MigrationStatus> Recorded(const std::string& id) const;
  // Where an unfinished record's migration stands now (recorded when ended).
  StatusOr<MigrationStatus> Resolve(MigrationStatus recorded) const;
  // For a migration resolved with its VM still here: the destination's
  // AbortIncoming (failures logged).
  void TellDestinationTheArrivalIsOff(const MigrationStatus& recorded,
                                      const HypervisorDomain& domain) const;
  void NoteDowntime(const std::string& id, uint64_t ms);

  const Options options_;
  Hypervisor& hypervisor_;
  NicBackend& nics_;
  const MigrationPeerConnector connect_;
  const Listener listener_;
  mutable std::mutex mu_;
  std::map<std::string, Extra> extra_;  // by operation id
  // While Start starts an operation, by VM name (one operation per VM at a
  // time): its first event comes before its id is known here.
  std::map<std::string, Extra> starting_;
  // What the journal last got, by operation id: a state and phase.
  std::mutex journal_mu_;
  std::map<std::string, std::pair<OperationState, std::string>> journaled_;
  std::set<std::string> cancel_recorded_;  // ids whose cancel the journal has
  // Last: destroyed first, so running migrations end before what they use.
  OperationRegistry operations_;
};

}  // namespace hvagent::compute
