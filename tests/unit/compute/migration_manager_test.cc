// MigrationManager (the source's side) and VmArrivals (the destination's)
// against two fake hosts: a fake hypervisor each (A's migrations land on B),
// fake NICs and networks each, and a peer that calls B's VmArrivals in
// process. What moves, what each side is asked, and that every failure leaves
// the VM on A and nothing on B.
#include "hvagent/compute/migration_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "hvagent/common/worker_pool.h"
#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/vm_arrivals.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/compute/vm_reconciler.h"
#include "hvagent_test/fake_hypervisor.h"
#include "hvagent_test/fake_nic_backend.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/temp_dir.h"
#include "hvagent_test/vm_layer_setup.h"

namespace hvagent::compute {
namespace {

using ::hvagent::testing::Eventually;
using ::hvagent::testing::FakeHypervisor;
using ::hvagent::testing::FakeNetworks;
using ::hvagent::testing::FakeNics;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr VmLimits kLimits = hvagent::testing::kTestVmLimits;

// The destination's agent, in process: B's VmArrivals, each call logged and
// any one made to fail.
class LocalPeer final : public MigrationPeer {
 public:
  explicit LocalPeer(VmArrivals& arrivals) : arrivals_(arrivals) {}

  Status CheckIncoming(const std::string& xml, bool live) override {
    return Enter("Check") ? arrivals_.Check(xml, live) : failures["Check"];
  }
  Status PrepareIncoming(const std::string& xml) override {
    return Enter("Prepare") ? arrivals_.Prepare(xml) : failures["Prepare"];
  }
  Status AbortIncoming(const std::string& xml) override {
    return Enter("Abort") ? arrivals_.Abort(xml) : failures["Abort"];
  }
  StatusOr<MigrationJob> FinishIncoming(const std::string& xml) override {
    if (!Enter("Finish")) return failures["Finish"];
    return arrivals_.Finish(xml);
  }

  std::vector<std::string> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::map<std::string, Status> failures;  // set before the migration starts

 private:
  // Logs the call; false when it is to fail.
  bool Enter(const std::string& call) {
    std::lock_guard lock(mu_);
    calls_.push_back(call);
    return !failures.contains(call);
  }

  VmArrivals& arrivals_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

// Forwards to the test's one LocalPeer (the manager owns what it connects).
class PeerHandle final : public MigrationPeer {
 public:
  explicit PeerHandle(LocalPeer& peer) : peer_(peer) {}
  Status CheckIncoming(const std::string& xml, bool live) override {
    return peer_.CheckIncoming(xml, live);
  }
  Status PrepareIncoming(const std::string& xml) override { return peer_.PrepareIncoming(xml); }
  Status AbortIncoming(const std::string& xml) override { return peer_.AbortIncoming(xml); }
  StatusOr<MigrationJob> FinishIncoming(const std::string& xml) override {
    return peer_.FinishIncoming(xml);
  }

 private:
  LocalPeer& peer_;
};

// The journal as the store keeps it, in memory. `Freeze` stops it taking
// writes, as a killed agent stops writing: what it holds then is what a
// restarted agent finds.
class FakeJournal final : public MigrationJournal {
 public:
  Status Record(const MigrationStatus& status) override {
    std::lock_guard lock(mu_);
    if (frozen_) return absl::OkStatus();
    records_[status.id] = status;
    writes_.push_back(fmt::format("{} {}", OperationStateName(status.state), status.phase));
    if (status.phase == freeze_at_phase_) frozen_ = true;
    return absl::OkStatus();
  }
  StatusOr<std::optional<MigrationStatus>> Find(const std::string& id) override {
    std::lock_guard lock(mu_);
    const auto it = records_.find(id);
    if (it == records_.end()) return std::optional<MigrationStatus>();
    return std::optional<MigrationStatus>(it->second);
  }
  // Takes no writes after the first of `phase`.
  void FreezeAfter(const std::string& phase) {
    std::lock_guard lock(mu_);
    freeze_at_phase_ = phase;
  }
  void Thaw() {
    std::lock_guard lock(mu_);
    frozen_ = false;
    freeze_at_phase_.clear();
  }
  // Each write as "<state> <phase>".
  std::vector<std::string> Writes() {
    std::lock_guard lock(mu_);
    return writes_;
  }
  std::optional<MigrationStatus> Stored(const std::string& id) { return *Find(id); }

 private:
  std::mutex mu_;
  std::map<std::string, MigrationStatus> records_;
  std::vector<std::string> writes_;
  std::string freeze_at_phase_ = "\x01";  // none
  bool frozen_ = false;
};

class MigrationManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hv_a_.set_migration_destination(&hv_b_);
    vms_a_ = hvagent::testing::MakeTestVmManager(state_dir_, domains_a_, nics_a_, networks_a_);
    migrations_ = NewManager();
  }
  // A manager on A over the test's one journal: a second one is A's agent
  // restarted.
  std::unique_ptr<MigrationManager> NewManager() {
    return std::make_unique<MigrationManager>(
        MigrationManager::Options{.poll_interval = std::chrono::milliseconds(5),
                                  .journal = &journal_},
        hv_a_, nics_a_,
        [this](const std::string& endpoint) -> StatusOr<std::unique_ptr<MigrationPeer>> {
          if (endpoint != kEndpoint) return absl::UnavailableError("no agent at " + endpoint);
          return std::unique_ptr<MigrationPeer>(std::make_unique<PeerHandle>(peer_));
        });
  }
  void TearDown() override { migrations_.reset(); }

  // A VM on A with one NIC (`mac`) on vlan.10, running when `running`.
  VmStatus MadeOnA(const std::string& name, bool running,
                   const std::string& mac = "52:54:00:00:00:01") {
    VmConfig config;
    config.name = name;
    config.memory_bytes = 256 * kMiB;
    config.nics.push_back({.mac = mac, .network = "vlan.10"});
    auto created = vms_a_->Create(config);
    EXPECT_TRUE(created.ok()) << created.status();
    if (running) {
      EXPECT_TRUE(vms_a_->PowerOn(name).ok());
    }
    return *created;
  }

  static MigrationRequest ToB(const std::string& name, bool live = true) {
    return {.vm_name = name,
            .destination = kEndpoint,
            .destination_libvirt_uri = "qemu+tls://b/system",
            .live = live};
  }

  MigrationStatus WaitForEnd(const std::string& id) {
    MigrationStatus status;
    EXPECT_TRUE(Eventually(
        [&] {
          auto now = migrations_->Get(id);
          if (!now.ok()) return false;
          status = *now;
          return status.state != OperationState::kRunning;
        },
        "the migration's end", std::chrono::seconds(30), std::chrono::milliseconds(5)));
    return status;
  }

  // Nothing of the VM is on B: no domain, no NIC.
  void ExpectBClean(const std::string& name) {
    EXPECT_FALSE(hv_b_.Find(name).has_value()) << "B has the domain";
    EXPECT_THAT(nics_b_.Taps(), IsEmpty()) << "B has NICs";
  }
  // The VM runs on A with its NIC.
  void ExpectRunningOnA(const std::string& name, const std::string& tap) {
    const auto record = hv_a_.Find(name);
    ASSERT_TRUE(record.has_value()) << "A lost the domain";
    EXPECT_EQ(record->state, DomainState::kRunning);
    EXPECT_THAT(nics_a_.Taps(), ElementsAre(tap));
  }

  static constexpr char kEndpoint[] = "unix:/run/b.sock";
  const hvagent::testing::TempDir state_root_{"migration-manager-test"};
  const std::string state_dir_ = state_root_.string();
  FakeHypervisor hv_a_, hv_b_;
  VmDomains domains_a_{hv_a_}, domains_b_{hv_b_};
  FakeNics nics_a_, nics_b_;
  FakeNetworks networks_a_, networks_b_;
  std::unique_ptr<VmManager> vms_a_;
  // B's path rules: the VMs here name no files.
  const HostPathPolicy paths_b_{{"/srv/b-images"}, "/srv/b-disks"};
  VmArrivals arrivals_b_{kLimits, paths_b_, domains_b_, nics_b_, networks_b_};
  LocalPeer peer_{arrivals_b_};
  FakeJournal journal_;
  std::unique_ptr<MigrationManager> migrations_;
};

TEST_F(MigrationManagerTest, RunningVmMovesWithItsNicsAndLeavesNothingOnA) {
  const VmStatus vm = MadeOnA("web", /*running=*/true);
  const std::string tap = vm.config.nics[0].tap;
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->vm_name, "web");
  EXPECT_EQ(started->destination, kEndpoint);
  EXPECT_TRUE(started->live);
  const MigrationStatus done = WaitForEnd(started->id);
  EXPECT_EQ(done.state, OperationState::kSucceeded) << done.result;
  EXPECT_EQ(done.phase, "completed");

  EXPECT_THAT(hv_a_.Migrations(), ElementsAre("web -> qemu+tls://b/system"));
  EXPECT_THAT(peer_.Calls(), ElementsAre("Check", "Prepare", "Finish"));
  const auto on_b = hv_b_.Find("web");
  ASSERT_TRUE(on_b.has_value());
  EXPECT_EQ(on_b->state, DomainState::kRunning);
  EXPECT_TRUE(on_b->persistent);
  ASSERT_THAT(nics_b_.Taps(), ElementsAre(tap));
  EXPECT_EQ(nics_b_.plugged[tap].vm_uuid, vm.config.uuid);
  EXPECT_EQ(nics_b_.plugged[tap].nic.vlan_id, 10u);  // B's own vlan.10
  EXPECT_FALSE(hv_a_.Find("web").has_value());
  EXPECT_THAT(nics_a_.Taps(), IsEmpty());
  // The NICs were ready on B before the domain left A.
  EXPECT_THAT(nics_b_.calls, ElementsAre("Attach 52:54:00:00:00:01"));
}

TEST_F(MigrationManagerTest, DestinationMissingTheNetworkIsRefusedBeforeAnythingMoves) {
  networks_b_.networks.erase("vlan.10");
  const VmStatus vm = MadeOnA("web", true);
  hv_a_.ClearCalls();
  auto started = migrations_->Start(ToB("web"));
  ASSERT_EQ(started.status().code(), absl::StatusCode::kFailedPrecondition) << started.status();
  EXPECT_THAT(std::string(started.status().message()), HasSubstr("vlan.10"));
  EXPECT_THAT(std::string(started.status().message()), HasSubstr(kEndpoint));
  EXPECT_THAT(peer_.Calls(), ElementsAre("Check"));
  ExpectRunningOnA("web", vm.config.nics[0].tap);
  ExpectBClean("web");
  for (const std::string& call : hv_a_.Calls()) {
    EXPECT_THAT(call, ::testing::Not(HasSubstr("Migrate"))) << call;
  }
}

TEST_F(MigrationManagerTest, DestinationOverItsMaximumsIsRefused) {
  VmArrivals small{{.max_vcpus = 8, .max_memory_bytes = 128 * kMiB, .max_nics = 4},
                   paths_b_,
                   domains_b_,
                   nics_b_,
                   networks_b_};
  MadeOnA("big", true);
  auto xml = hv_a_.Find("big")->xml;
  const Status checked = small.Check(xml, true);
  EXPECT_EQ(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(std::string(checked.message()), HasSubstr("memory_bytes_per_vm"));
}

TEST_F(MigrationManagerTest, ArrivingVmNamingFilesOutsideTheDestinationsRulesIsRefused) {
  MadeOnA("files", true);
  auto config = ParseDomainXml(hv_a_.Find("files")->xml);
  ASSERT_TRUE(config.ok()) << config.status();
  // Deleting an agent-created disk deletes its file: a peer must not name
  // one of the host's own.
  config->disks.push_back(
      {.target = "sda", .path = "/etc/shadow", .agent_created = true, .size_bytes = kMiB});
  auto xml = BuildDomainXml(*config);
  ASSERT_TRUE(xml.ok()) << xml.status();
  Status checked = arrivals_b_.Check(*xml, true);
  EXPECT_EQ(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(std::string(checked.message()),
              HasSubstr("spec.disks[0].file_path: an agent-created disk's image is a file "
                        "directly in '/srv/b-disks'"));
  config->disks.back() = {.target = "sda", .path = "/proc/self/mem"};
  xml = BuildDomainXml(*config);
  ASSERT_TRUE(xml.ok()) << xml.status();
  checked = arrivals_b_.Prepare(*xml);
  EXPECT_EQ(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(std::string(checked.message()), HasSubstr("under /proc"));
  ExpectBClean("files");
}

TEST_F(MigrationManagerTest, DestinationCpuLackingFeaturesIsRefusedNamingThem) {
  std::vector<std::string> asked;
  VmArrivals old_cpu{
      kLimits, paths_b_, domains_b_, nics_b_, networks_b_, [&](const VmConfig& config) {
        asked.push_back(config.name);
        return absl::FailedPreconditionError("this host's CPU lacks features: avx512f, pku");
      }};
  MadeOnA("web", true);
  const Status checked = old_cpu.Check(hv_a_.Find("web")->xml, true);
  EXPECT_EQ(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(std::string(checked.message()), HasSubstr("avx512f, pku"));
  EXPECT_THAT(asked, ElementsAre("web"));
  EXPECT_EQ(old_cpu.Prepare(hv_a_.Find("web")->xml).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(nics_b_.Taps(), IsEmpty());
}

TEST_F(MigrationManagerTest, FailedMigrationLeavesTheVmOnAAndRemovesWhatBPrepared) {
  const VmStatus vm = MadeOnA("web", true);
  hv_a_.Fail("MigrateToPeer", absl::UnavailableError("unable to connect to server"));
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  const MigrationStatus done = WaitForEnd(started->id);
  EXPECT_EQ(done.state, OperationState::kFailed);
  EXPECT_THAT(std::string(done.result.message()), HasSubstr("stays on the source"));
  EXPECT_THAT(peer_.Calls(), ElementsAre("Check", "Prepare", "Abort"));
  ExpectRunningOnA("web", vm.config.nics[0].tap);
  ExpectBClean("web");
}

TEST_F(MigrationManagerTest, DestinationFailingToPrepareLeavesNothingAnywhere) {
  const VmStatus vm = MadeOnA("web", true);
  nics_b_.failures["Attach"] = absl::UnavailableError("ovsdb-server is not connected");
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  const MigrationStatus done = WaitForEnd(started->id);
  EXPECT_EQ(done.state, OperationState::kFailed);
  EXPECT_THAT(std::string(done.result.message()), HasSubstr("ovsdb-server"));
  EXPECT_THAT(hv_a_.Migrations(), IsEmpty());
  ExpectRunningOnA("web", vm.config.nics[0].tap);
  ExpectBClean("web");
  EXPECT_FALSE(domains_b_.IsArriving(vm.config.uuid));
}

TEST_F(MigrationManagerTest, CancelAbortsTheJobAndTheVmStaysOnA) {
  const VmStatus vm = MadeOnA("web", true);
  hv_a_.set_migration_steps(3000);  // 30 s unless aborted
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(Eventually(
      [&] {
        auto now = migrations_->Get(started->id);
        return now.ok() && now->data_processed_bytes > 0 && now->data_remaining_bytes > 0;
      },
      "progress", std::chrono::seconds(10), std::chrono::milliseconds(5)));
  auto cancelling = migrations_->Cancel(started->id);
  ASSERT_TRUE(cancelling.ok()) << cancelling.status();
  const MigrationStatus done = WaitForEnd(started->id);
  EXPECT_EQ(done.state, OperationState::kCancelled) << done.result;
  EXPECT_THAT(peer_.Calls(), ElementsAre("Check", "Prepare", "Abort"));
  ExpectRunningOnA("web", vm.config.nics[0].tap);
  ExpectBClean("web");
  EXPECT_EQ(migrations_->Cancel(started->id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(migrations_->Cancel("nope").status().code(), absl::StatusCode::kNotFound);
}

// The cancel is recorded before the abort: an agent killed after the abort,
// before the end was recorded, is followed by one that reports the migration
// cancelled (as the cancel's retry must find it), not failed.
TEST_F(MigrationManagerTest, ACancelIsRecordedBeforeItActsSoARestartedAgentReportsItCancelled) {
  const VmStatus vm = MadeOnA("web", true);
  hv_a_.set_migration_steps(3000);
  journal_.FreezeAfter("cancelling");  // the agent "dies" once the cancel is recorded
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(Eventually([&] { return hv_a_.Find("web")->migrating; }, "the job"));
  ASSERT_TRUE(migrations_->Cancel(started->id).ok());
  ASSERT_EQ(WaitForEnd(started->id).state, OperationState::kCancelled);
  EXPECT_EQ(journal_.Stored(started->id)->state, OperationState::kRunning);
  EXPECT_EQ(journal_.Stored(started->id)->phase, "cancelling");
  migrations_.reset();
  journal_.Thaw();
  migrations_ = NewManager();
  auto got = migrations_->Get(started->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kCancelled) << got->result;
  ExpectRunningOnA("web", vm.config.nics[0].tap);
}

TEST_F(MigrationManagerTest, OneMigrationOfAVmAtATime) {
  MadeOnA("web", true);
  hv_a_.set_migration_steps(3000);
  auto first = migrations_->Start(ToB("web"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = migrations_->Start(ToB("web"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  ASSERT_TRUE(migrations_->Cancel(first->id).ok());
  EXPECT_EQ(WaitForEnd(first->id).state, OperationState::kCancelled);
}

TEST_F(MigrationManagerTest, StoppedVmMovesOfflineWithoutPreparingNics) {
  MadeOnA("cold", /*running=*/false);
  auto live = migrations_->Start(ToB("cold", /*live=*/true));
  EXPECT_EQ(live.status().code(), absl::StatusCode::kFailedPrecondition) << live.status();
  auto started = migrations_->Start(ToB("cold", /*live=*/false));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_FALSE(started->live);
  const MigrationStatus done = WaitForEnd(started->id);
  EXPECT_EQ(done.state, OperationState::kSucceeded) << done.result;
  EXPECT_THAT(peer_.Calls(), ElementsAre("Check"));  // nothing to prepare offline
  const auto on_b = hv_b_.Find("cold");
  ASSERT_TRUE(on_b.has_value());
  EXPECT_EQ(on_b->state, DomainState::kShutOff);
  EXPECT_FALSE(hv_a_.Find("cold").has_value());
  EXPECT_THAT(nics_b_.Taps(), IsEmpty());
}

TEST_F(MigrationManagerTest, UnknownVmAndMissingFieldsAreRefused) {
  EXPECT_EQ(migrations_->Start(ToB("ghost")).status().code(), absl::StatusCode::kNotFound);
  MadeOnA("web", true);
  MigrationRequest no_uri = ToB("web");
  no_uri.destination_libvirt_uri.clear();
  EXPECT_EQ(migrations_->Start(no_uri).status().code(), absl::StatusCode::kInvalidArgument);
  MigrationRequest elsewhere = ToB("web");
  elsewhere.destination = "unix:/run/nobody.sock";
  EXPECT_EQ(migrations_->Start(elsewhere).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(peer_.Calls(), IsEmpty());
}

// A VM handed over by a migration whose agent was killed: libvirt stops it
// here (reason: migrated) and may keep it defined a moment; its taps and
// ports here go then, with no agent's migration to remove them. A VM that
// runs here keeps its own. (The soak's fault run left A's NICs of a VM that
// had moved to B: the sweep had run while the domain was still defined.)
TEST_F(MigrationManagerTest, TheNicsOfAVmHandedOverGoWhenLibvirtStopsIt) {
  const VmStatus left = MadeOnA("web", true);
  const VmStatus stays = MadeOnA("db", true, "52:54:00:00:00:02");
  hv_a_.MarkHandedOver("web", 0);
  {
    WorkerPool pool(1, 16);
    VmReconciler reconciler_a(domains_a_, nics_a_, state_dir_);
    reconciler_a.ReleaseDeparted("web", pool);
    reconciler_a.ReleaseDeparted("db", pool);
  }  // the pool runs both, then joins
  EXPECT_THAT(nics_a_.Taps(), ElementsAre(stays.config.nics[0].tap));
  EXPECT_NE(left.config.nics[0].tap, stays.config.nics[0].tap);
}

TEST_F(MigrationManagerTest, ArrivingNicsAreNotLeftoversUntilTheArrivalEnds) {
  const VmStatus vm = MadeOnA("web", true);
  const std::string xml = hv_a_.Find("web")->xml;
  ASSERT_TRUE(arrivals_b_.Prepare(xml).ok());
  VmReconciler reconciler_b(domains_b_, nics_b_, state_dir_);
  auto removed = reconciler_b.RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, IsEmpty());
  EXPECT_THAT(nics_b_.Taps(), ElementsAre(vm.config.nics[0].tap));
  ASSERT_TRUE(arrivals_b_.Abort(xml).ok());
  EXPECT_THAT(nics_b_.Taps(), IsEmpty());
  EXPECT_FALSE(domains_b_.IsArriving(vm.config.uuid));
}

TEST_F(MigrationManagerTest, ArrivingNicsWhoseSourceNeverEndedTheArrivalExpire) {
  const VmStatus vm = MadeOnA("web", true);
  VmArrivals impatient{kLimits,
                       paths_b_,
                       domains_b_,
                       nics_b_,
                       networks_b_,
                       /*cpu_check=*/nullptr,
                       std::chrono::milliseconds(1)};
  ASSERT_TRUE(impatient.Prepare(hv_a_.Find("web")->xml).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(domains_b_.IsArriving(vm.config.uuid));
  VmReconciler reconciler_b(domains_b_, nics_b_, state_dir_);
  auto removed = reconciler_b.RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(vm.config.nics[0].tap));
  EXPECT_THAT(nics_b_.Taps(), IsEmpty());
}

TEST_F(MigrationManagerTest, JournalGetsTheStartEachPhaseAndTheEndNotEveryTick) {
  MadeOnA("web", true);
  hv_a_.set_migration_steps(40);  // 400 ms: tens of progress reports
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  // Recorded before Start returned.
  ASSERT_TRUE(journal_.Stored(started->id).has_value());
  EXPECT_EQ(journal_.Stored(started->id)->destination, kEndpoint);
  ASSERT_EQ(WaitForEnd(started->id).state, OperationState::kSucceeded);
  migrations_.reset();  // its last write is done
  EXPECT_THAT(journal_.Writes(),
              ElementsAre("running ", "running preparing destination", "running migrating",
                          "running cleaning up", "running completed", "succeeded completed"));
  const MigrationStatus stored = *journal_.Stored(started->id);
  EXPECT_EQ(stored.vm_name, "web");
  EXPECT_TRUE(stored.live);
  EXPECT_EQ(stored.data_total_bytes, uint64_t{40} << 20);
  EXPECT_EQ(stored.data_processed_bytes, stored.data_total_bytes);
  EXPECT_NE(stored.started, std::chrono::system_clock::time_point());
}

TEST_F(MigrationManagerTest, RestartedAgentReportsCompletedWhenTheVmLeftAndRecordsIt) {
  MadeOnA("web", true);
  // The agent "dies" once the migration began: nothing after is recorded.
  journal_.FreezeAfter("migrating");
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(WaitForEnd(started->id).state, OperationState::kSucceeded);
  ASSERT_EQ(journal_.Stored(started->id)->state, OperationState::kRunning);
  // The agent's end: its last writes (had it lived) are done, and lost.
  migrations_.reset();
  journal_.Thaw();
  migrations_ = NewManager();  // the restarted agent
  auto got = migrations_->Get(started->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kSucceeded) << got->result;
  EXPECT_EQ(got->vm_name, "web");
  EXPECT_EQ(got->destination, kEndpoint);
  EXPECT_EQ(journal_.Stored(started->id)->state, OperationState::kSucceeded);
  EXPECT_EQ(migrations_->Cancel(started->id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(migrations_->Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(migrations_->Cancel("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MigrationManagerTest, RestartedAgentReportsFailedWhenTheVmStayedHere) {
  const VmStatus vm = MadeOnA("web", true);
  journal_.FreezeAfter("migrating");
  hv_a_.Fail("MigrateToPeer", absl::UnavailableError("unable to connect to server"));
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_EQ(WaitForEnd(started->id).state, OperationState::kFailed);
  migrations_.reset();
  journal_.Thaw();
  migrations_ = NewManager();
  auto got = migrations_->Get(started->id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kFailed);
  EXPECT_THAT(std::string(got->result.message()), HasSubstr("agent restarted mid-migration"));
  EXPECT_THAT(std::string(got->result.message()), HasSubstr("'web' stays on the source"));
  // Written back: a later read (another restart) agrees without asking.
  EXPECT_EQ(journal_.Stored(started->id)->state, OperationState::kFailed);
  hv_a_.ClearCalls();
  migrations_ = NewManager();
  EXPECT_EQ(migrations_->Get(started->id)->state, OperationState::kFailed);
  EXPECT_THAT(hv_a_.Calls(), IsEmpty());
  EXPECT_EQ(migrations_->Cancel(started->id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ExpectRunningOnA("web", vm.config.nics[0].tap);
}

TEST_F(MigrationManagerTest, RestartedAgentSeesLibvirtStillMigratingAndCanCancelIt) {
  const VmStatus vm = MadeOnA("web", true);
  hv_a_.set_migration_steps(3000);
  // As a killed agent left it: recorded while migrating, and libvirt's job
  // runs on without it.
  const MigrationStatus left{.id = "m-1",
                             .vm_name = "web",
                             .destination = kEndpoint,
                             .state = OperationState::kRunning,
                             .phase = "migrating"};
  ASSERT_TRUE(journal_.Record(left).ok());
  auto domain = hv_a_.LookupDomain("web");
  ASSERT_TRUE(domain.ok()) << domain.status();
  Status job_result;
  std::thread job(
      [&] { job_result = (*domain)->MigrateToPeer({.libvirt_uri = "qemu+tls://b/system"}); });
  ASSERT_TRUE(Eventually([&] { return hv_a_.Find("web")->migrating; }, "the job"));

  auto got = migrations_->Get("m-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kRunning);
  EXPECT_EQ(got->phase, "continuing after an agent restart");
  EXPECT_EQ(got->data_total_bytes, uint64_t{3000} << 20);
  EXPECT_EQ(journal_.Stored("m-1")->phase, "migrating");  // nothing resolved yet

  auto cancelling = migrations_->Cancel("m-1");
  ASSERT_TRUE(cancelling.ok()) << cancelling.status();
  job.join();
  EXPECT_EQ(job_result.code(), absl::StatusCode::kAborted) << job_result;
  auto ended = migrations_->Get("m-1");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->state, OperationState::kCancelled) << ended->result;
  EXPECT_EQ(journal_.Stored("m-1")->state, OperationState::kCancelled);
  ExpectRunningOnA("web", vm.config.nics[0].tap);
}

// Between QEMU's handover and the undefine, libvirt's source has the VM shut
// off (reason: migrated) with no job: not yet an ending. The fault suite saw
// a restarted agent resolve that moment as failed, and the VM then ran on B.
TEST_F(MigrationManagerTest, RestartedAgentWaitsWhileTheSourceStillHoldsTheVmItHandedOver) {
  MadeOnA("web", true);
  ASSERT_TRUE(journal_
                  .Record({.id = "m-1",
                           .vm_name = "web",
                           .destination = kEndpoint,
                           .state = OperationState::kRunning,
                           .phase = "migrating"})
                  .ok());
  hv_a_.MarkHandedOver("web", 1);
  auto held = migrations_->Get("m-1");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->state, OperationState::kRunning) << held->result;
  EXPECT_EQ(held->phase, "continuing after an agent restart");
  EXPECT_EQ(journal_.Stored("m-1")->state, OperationState::kRunning);  // nothing resolved
  // libvirt undefines the source: the VM is B's.
  auto domain = hv_a_.LookupDomain("web");
  ASSERT_TRUE(domain.ok()) << domain.status();
  ASSERT_TRUE((*domain)->Undefine().ok());
  auto ended = migrations_->Get("m-1");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->state, OperationState::kSucceeded) << ended->result;
}

// A source killed while the destination prepared: the restarted source
// resolves the migration as failed, and tells the destination, which drops
// the NICs it made instead of keeping them until its grace ends.
TEST_F(MigrationManagerTest, RestartedAgentTellsTheDestinationWhenTheVmStayedHere) {
  const VmStatus vm = MadeOnA("web", true);
  ASSERT_TRUE(arrivals_b_.Prepare(hv_a_.Find("web")->xml).ok());
  ASSERT_THAT(nics_b_.Taps(), ElementsAre(vm.config.nics[0].tap));
  ASSERT_TRUE(journal_
                  .Record({.id = "m-1",
                           .vm_name = "web",
                           .destination = kEndpoint,
                           .state = OperationState::kRunning,
                           .phase = "preparing destination"})
                  .ok());
  auto got = migrations_->Get("m-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, OperationState::kFailed);
  EXPECT_THAT(peer_.Calls(), ElementsAre("Abort"));
  EXPECT_THAT(nics_b_.Taps(), IsEmpty());
  ExpectRunningOnA("web", vm.config.nics[0].tap);
}

TEST_F(MigrationManagerTest, RecordLeftByAnEarlierAgentIsNotConfusedWithANewMigration) {
  MadeOnA("web", true);
  hv_a_.set_migration_steps(3000);
  ASSERT_TRUE(journal_
                  .Record({.id = "m-old",
                           .vm_name = "web",
                           .destination = kEndpoint,
                           .state = OperationState::kRunning,
                           .phase = "migrating"})
                  .ok());
  auto started = migrations_->Start(ToB("web"));
  ASSERT_TRUE(started.ok()) << started.status();
  ASSERT_TRUE(Eventually([&] { return hv_a_.Find("web")->migrating; }, "the new job"));
  auto old = migrations_->Get("m-old");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->state, OperationState::kFailed);
  ASSERT_TRUE(migrations_->Cancel(started->id).ok());
  EXPECT_EQ(WaitForEnd(started->id).state, OperationState::kCancelled);
}

// A MigrateVm retried after the agent was killed carries the id its intent
// recorded: it gets the migration that id began, whether it still runs, ran
// here, or an earlier agent began it and the VM has left; never a second one.
TEST_F(MigrationManagerTest, StartWithAnIdThatBeganAMigrationAnswersThatMigration) {
  MadeOnA("web", true);
  MigrationRequest request = ToB("web");
  request.id = "m-given";
  auto started = migrations_->Start(request);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->id, "m-given");
  ASSERT_EQ(WaitForEnd("m-given").state, OperationState::kSucceeded);
  // Here, ended: the VM is on B; a plain second Start would be NOT_FOUND.
  hv_a_.ClearCalls();
  auto again = migrations_->Start(request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, "m-given");
  EXPECT_EQ(again->state, OperationState::kSucceeded);
  EXPECT_THAT(hv_a_.Calls(), IsEmpty());
  // A restarted agent knows it from the journal alone.
  migrations_.reset();
  migrations_ = NewManager();
  auto after_restart = migrations_->Start(request);
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  EXPECT_EQ(after_restart->id, "m-given");
  EXPECT_EQ(after_restart->state, OperationState::kSucceeded);
  // An id that began nothing is a new migration: of a VM gone from here.
  request.id = "m-fresh";
  EXPECT_EQ(migrations_->Start(request).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hvagent::compute
