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

#include "hvagent/compute/vm_arrivals.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/compute/vm_reconciler.h"
#include "hvagent_test/fake_hypervisor.h"
#include "hvagent_test/fake_nic_backend.h"
#include "hvagent_test/polling.h"

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
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr VmLimits kLimits{.max_vcpus = 8,
                           .max_memory_bytes = 64 * kGiB,
                           .max_disk_bytes = 1024 * kGiB,
                           .max_nics = 4,
                           .max_disks = 4};

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

class MigrationManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "migration_manager_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    state_dir_ = dir;
    hv_a_.set_migration_destination(&hv_b_);
    vms_a_ =
        std::make_unique<VmManager>(VmManager::Options{.state_dir = state_dir_, .limits = kLimits},
                                    domains_a_, nics_a_, networks_a_);
    migrations_ = std::make_unique<MigrationManager>(
        MigrationManager::Options{.poll_interval = std::chrono::milliseconds(5)}, hv_a_, nics_a_,
        [this](const std::string& endpoint) -> StatusOr<std::unique_ptr<MigrationPeer>> {
          if (endpoint != kEndpoint) return absl::UnavailableError("no agent at " + endpoint);
          return std::unique_ptr<MigrationPeer>(std::make_unique<PeerHandle>(peer_));
        });
  }
  void TearDown() override {
    migrations_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  // A VM on A with one NIC on vlan.10, running when `running`.
  VmStatus MadeOnA(const std::string& name, bool running) {
    VmConfig config;
    config.name = name;
    config.memory_bytes = 256 * kMiB;
    config.nics.push_back({.mac = "52:54:00:00:00:01", .network = "vlan.10"});
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
  std::string state_dir_;
  FakeHypervisor hv_a_, hv_b_;
  VmDomains domains_a_{hv_a_}, domains_b_{hv_b_};
  FakeNics nics_a_, nics_b_;
  FakeNetworks networks_a_, networks_b_;
  std::unique_ptr<VmManager> vms_a_;
  VmArrivals arrivals_b_{kLimits, domains_b_, nics_b_, networks_b_};
  LocalPeer peer_{arrivals_b_};
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
                   domains_b_,
                   nics_b_,
                   networks_b_};
  MadeOnA("big", true);
  auto xml = hv_a_.Find("big")->xml;
  const Status checked = small.Check(xml, true);
  EXPECT_EQ(checked.code(), absl::StatusCode::kFailedPrecondition) << checked;
  EXPECT_THAT(std::string(checked.message()), HasSubstr("memory_bytes_per_vm"));
}

TEST_F(MigrationManagerTest, DestinationCpuLackingFeaturesIsRefusedNamingThem) {
  std::vector<std::string> asked;
  VmArrivals old_cpu{
      kLimits, domains_b_, nics_b_, networks_b_, [&](const VmConfig& config) {
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

}  // namespace
}  // namespace hvagent::compute
