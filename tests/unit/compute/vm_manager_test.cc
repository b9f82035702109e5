// The VM layer's own logic (VmManager, VmDeviceManager, VmReconciler)
// against a fake hypervisor, NIC backend and network
// resolver: what each operation asks of them, in which order, what it
// refuses, and that a failure anywhere leaves no half-applied change.
#include "hvagent/compute/vm_manager.h"
#include "hvagent/compute/vm_device_manager.h"
#include "hvagent/compute/vm_reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hvagent/compute/device_names.h"
#include "hvagent/compute/device_xml.h"
#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/runtime_metadata.h"
#include "hvagent_test/fake_hypervisor.h"
#include "hvagent_test/fake_nic_backend.h"
#include "hvagent_test/status_matchers.h"
#include "hvagent_test/temp_dir.h"
#include "hvagent_test/vm_layer_setup.h"

namespace hvagent::compute {
namespace {

using ::hvagent::testing::FakeHypervisor;
using ::hvagent::testing::FakeNetworks;
using ::hvagent::testing::FakeNics;
using ::hvagent::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr char kMac1[] = "52:54:00:00:00:01";
constexpr char kMac2[] = "52:54:00:00:00:02";

class VmManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vms_ = hvagent::testing::MakeTestVmManager(state_dir_, domains_, nics_, networks_);
    devices_ = hvagent::testing::MakeTestVmDeviceManager(state_dir_, domains_, nics_, networks_);
    reconciler_ = std::make_unique<VmReconciler>(domains_, nics_, state_dir_);
  }

  static VmConfig Spec(const std::string& name) {
    VmConfig config;
    config.name = name;
    config.memory_bytes = 256 * kMiB;
    config.nics.push_back({.mac = kMac1, .network = "vlan.10"});
    return config;
  }

  // A created VM, running when `running`.
  VmStatus Made(const std::string& name, bool running, VmConfig config) {
    config.name = name;
    auto created = vms_->Create(std::move(config));
    EXPECT_TRUE(created.ok()) << created.status();
    if (running) {
      EXPECT_TRUE(vms_->PowerOn(name).ok());
    }
    return *created;
  }
  VmStatus Made(const std::string& name, bool running) { return Made(name, running, Spec(name)); }
  // A created VM with a second NIC (kMac2, on vlan.20).
  VmStatus MadeWithTwoNics(const std::string& name, bool running) {
    VmConfig spec = Spec(name);
    spec.nics.push_back({.mac = kMac2, .network = "vlan.20"});
    return Made(name, running, spec);
  }

  // The VM's definition as the hypervisor keeps it.
  VmConfig Defined(const std::string& name) {
    const auto record = hypervisor_.Find(name);
    EXPECT_TRUE(record.has_value()) << name;
    if (!record) return {};
    auto config = ParseDomainXml(record->xml);
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : VmConfig{};
  }

  DomainState StateOf(const std::string& name) {
    const auto record = hypervisor_.Find(name);
    return record ? record->state : DomainState::kNoState;
  }

  // The hypervisor calls since the last ClearCalls that change something.
  std::vector<std::string> Changes() {
    static const std::vector<std::string> kReads = {
        "LookupDomain", "ListDomains",   "GuestDomainType", "Uuid",
        "State",        "PersistentXml", "Usage",           "LiveMetadata",
        "MachineTypes", "HasLiveDevice", "StartingUp"};
    std::vector<std::string> changes;
    for (const std::string& call : hypervisor_.Calls()) {
      const std::string method = call.substr(0, call.find(' '));
      if (std::find(kReads.begin(), kReads.end(), method) == kReads.end()) {
        changes.push_back(call);
      }
    }
    return changes;
  }

  std::vector<std::string> Images() { return hvagent::testing::DiskImageNames(state_dir_); }

  const hvagent::testing::TempDir state_root_{"vm-manager-test"};
  const std::string state_dir_ = state_root_.string();
  FakeHypervisor hypervisor_;
  FakeNics nics_{[this] { return hypervisor_.Calls().size(); }};
  FakeNetworks networks_;
  VmDomains domains_{hypervisor_};
  std::unique_ptr<VmManager> vms_;
  std::unique_ptr<VmDeviceManager> devices_;
  std::unique_ptr<VmReconciler> reconciler_;
};

TEST_F(VmManagerTest, CreateDefinesAShutOffDomainAndPlugsNothingUntilPowerOn) {
  hypervisor_.set_domain_type(DomainType::kKvm);
  auto created = vms_->Create(Spec("vm1"));
  ASSERT_TRUE(created.ok()) << created.status();

  EXPECT_EQ(created->state, DomainState::kShutOff);
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1"));
  const auto record = hypervisor_.Find("vm1");
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->persistent);
  EXPECT_EQ(record->state, DomainState::kShutOff);
  // Completed from the hypervisor and the network, and kept in the definition.
  const VmConfig defined = Defined("vm1");
  EXPECT_EQ(defined, created->config);
  EXPECT_EQ(defined.uuid, record->uuid);
  EXPECT_EQ(defined.domain_type, DomainType::kKvm);
  EXPECT_EQ(defined.generation, 1);
  EXPECT_FALSE(defined.external);
  ASSERT_EQ(defined.nics.size(), 1U);
  EXPECT_EQ(defined.nics[0].tap, TapNameFor(defined.uuid, kMac1));
  EXPECT_EQ(defined.nics[0].bridge, "br0");
  EXPECT_EQ(defined.nics[0].vlan_id, 10U);
  EXPECT_THAT(nics_.calls, IsEmpty());

  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  EXPECT_THAT(nics_.Taps(), ElementsAre(defined.nics[0].tap));
}

TEST_F(VmManagerTest, RefusedCreateLeavesNoDomainNoNicAndNoImage) {
  VmConfig spec = Spec("vm1");
  spec.disks.push_back({.agent_created = true, .size_bytes = kMiB});

  // The hypervisor refuses the definition: the image made for it goes too.
  hypervisor_.Fail("DefineDomain", absl::InvalidArgumentError("XML error"));
  auto refused = vms_->Create(spec);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(hypervisor_.DomainNames(), IsEmpty());
  EXPECT_THAT(Images(), IsEmpty());
  EXPECT_THAT(nics_.calls, IsEmpty());
  hypervisor_.Heal("DefineDomain");

  // The name cannot be checked (libvirtd is gone): no image is even made.
  hypervisor_.Fail("LookupDomain", absl::UnavailableError("libvirtd is down"));
  hypervisor_.ClearCalls();
  refused = vms_->Create(spec);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(Images(), IsEmpty());
  hypervisor_.Heal("LookupDomain");

  // No domain type can be had (compute.domain_type kvm on a host without).
  hypervisor_.Fail("GuestDomainType", absl::FailedPreconditionError("no KVM"));
  refused = vms_->Create(spec);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  hypervisor_.Heal("GuestDomainType");

  // An unknown network, and a name in use.
  VmConfig lost = spec;
  lost.nics[0].network = "nowhere";
  EXPECT_EQ(vms_->Create(lost).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(hypervisor_.DefineDomain(hvagent::testing::kForeignDomainXml).ok());
  VmConfig taken = spec;
  taken.name = "foreign";
  hypervisor_.ClearCalls();
  EXPECT_EQ(vms_->Create(taken).status().code(), absl::StatusCode::kAlreadyExists);

  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(hypervisor_.DomainNames(), ElementsAre("foreign"));
  EXPECT_THAT(Images(), IsEmpty());
  EXPECT_THAT(nics_.calls, IsEmpty());
}

TEST_F(VmManagerTest, DeleteOfARunningVmNeedsForceThenDestroysBeforeUndefining) {
  VmConfig spec = Spec("vm1");
  spec.disks.push_back({.agent_created = true, .size_bytes = kMiB});
  Made("vm1", /*running=*/true, spec);
  ASSERT_EQ(Images().size(), 1U);
  hypervisor_.ClearCalls();

  const Status refused = vms_->Delete("vm1", /*force=*/false, /*keep_disks=*/false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_EQ(StateOf("vm1"), DomainState::kRunning);
  EXPECT_EQ(nics_.plugged.size(), 1U);
  EXPECT_EQ(Images().size(), 1U);

  ASSERT_TRUE(vms_->Delete("vm1", /*force=*/true, /*keep_disks=*/false).ok());
  EXPECT_THAT(Changes(), ElementsAre("Destroy vm1", "Undefine vm1"));
  EXPECT_THAT(hypervisor_.DomainNames(), IsEmpty());
  EXPECT_THAT(nics_.plugged, IsEmpty());
  EXPECT_THAT(Images(), IsEmpty());
}

TEST_F(VmManagerTest, DeleteThatCannotUndefineLeavesTheNicsAndImages) {
  VmConfig spec = Spec("vm1");
  spec.disks.push_back({.agent_created = true, .size_bytes = kMiB});
  Made("vm1", /*running=*/true, spec);
  hypervisor_.Fail("Undefine", absl::InternalError("cannot undefine"));

  EXPECT_EQ(vms_->Delete("vm1", /*force=*/true, /*keep_disks=*/false).code(),
            absl::StatusCode::kInternal);
  // The domain still names them: its NICs and image stay.
  EXPECT_THAT(hypervisor_.DomainNames(), ElementsAre("vm1"));
  EXPECT_EQ(nics_.plugged.size(), 1U);
  EXPECT_THAT(nics_.calls, Not(Contains("Detach " + std::string(kMac1))));
  EXPECT_EQ(Images().size(), 1U);
}

TEST_F(VmManagerTest, DeleteKeepsImagesUnderKeptWhenAsked) {
  VmConfig spec = Spec("vm1");
  spec.disks.push_back({.agent_created = true, .size_bytes = kMiB});
  const VmStatus vm = Made("vm1", /*running=*/false, spec);

  ASSERT_TRUE(vms_->Delete("vm1", /*force=*/false, /*keep_disks=*/true).ok());
  EXPECT_THAT(Images(), IsEmpty());
  const std::filesystem::path image(vm.config.disks[0].path);
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/disks/kept/" + image.filename().string()));
}

TEST_F(VmManagerTest, PowerOnPlugsTheNicsBeforeStartingAndNotesTheStartTime) {
  MadeWithTwoNics("vm1", /*running=*/false);
  hypervisor_.ClearCalls();

  auto on = vms_->PowerOn("vm1");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->state, DomainState::kRunning);
  EXPECT_TRUE(on->started_unix_ms.has_value());
  const std::vector<std::string> calls = hypervisor_.Calls();
  const size_t start = std::find(calls.begin(), calls.end(), "Start vm1") - calls.begin();
  ASSERT_LT(start, calls.size());
  ASSERT_EQ(nics_.attached_at.size(), 2U);
  for (const size_t at : nics_.attached_at) EXPECT_LE(at, start);
  const auto record = hypervisor_.Find("vm1");
  EXPECT_TRUE(record->live_metadata.contains(std::string(kRuntimeNamespace)));

  // Powering on a running VM is done already: nothing starts again.
  hypervisor_.ClearCalls();
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  EXPECT_THAT(Changes(), IsEmpty());
}

TEST_F(VmManagerTest, FailedPowerOnLeavesNoTapOrPortBehind) {
  MadeWithTwoNics("vm1", /*running=*/false);
  hypervisor_.Fail("Start", absl::InternalError("QEMU: could not open disk image"));
  EXPECT_EQ(vms_->PowerOn("vm1").status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(nics_.Taps(), IsEmpty());
  EXPECT_EQ(StateOf("vm1"), DomainState::kShutOff);
  EXPECT_THAT(nics_.calls, Contains("Detach " + std::string(kMac2)));

  // Healed, it starts with both NICs.
  hypervisor_.Heal("Start");
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  EXPECT_EQ(nics_.Taps().size(), 2U);
}

TEST_F(VmManagerTest, FilesOutsideTheImageRootsAreRefusedBeforeAnythingIsMade) {
  // state_dir/disks is the one root by default; the operator's images sit
  // in a subdirectory of it.
  const std::string library = state_dir_ + "/disks/library";
  std::filesystem::create_directories(library);
  std::ofstream(library + "/base.raw") << "image";
  std::ofstream(state_dir_ + "/outside.raw") << "image";

  VmConfig spec = Spec("vm1");
  spec.disks.push_back({.agent_created = true, .size_bytes = kMiB});
  spec.disks.push_back({.path = state_dir_ + "/outside.raw"});
  hypervisor_.ClearCalls();
  EXPECT_THAT(vms_->Create(spec), StatusIs(absl::StatusCode::kPermissionDenied,
                                           ::testing::HasSubstr("spec.disks[1].file_path: ")));
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(Images(), IsEmpty());
  EXPECT_THAT(nics_.calls, IsEmpty());

  spec.disks[1].path = library + "/base.raw";
  ASSERT_TRUE(vms_->Create(spec).ok());
  // Hot-plugged disks follow the same rules.
  hypervisor_.ClearCalls();
  EXPECT_THAT(
      devices_->AddDisk("vm1", {.path = "/proc/self/mem"}),
      StatusIs(absl::StatusCode::kPermissionDenied, ::testing::HasSubstr("spec.file_path: ")));
  EXPECT_THAT(Changes(), IsEmpty());

  // The image swapped for a link out of the root after the define: the
  // start is refused before a NIC is plugged.
  std::filesystem::remove(library + "/base.raw");
  std::filesystem::create_symlink(state_dir_ + "/outside.raw", library + "/base.raw");
  EXPECT_THAT(vms_->PowerOn("vm1"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("cannot start: spec.disks[1].file_path: ")));
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(nics_.Taps(), IsEmpty());
  EXPECT_EQ(StateOf("vm1"), DomainState::kShutOff);
}

TEST_F(VmManagerTest, AnUnknownMachineTypeIsRefusedNamingTheField) {
  VmConfig spec = Spec("vm1");
  spec.machine = "nonexistent-9.9";
  hypervisor_.ClearCalls();
  EXPECT_THAT(vms_->Create(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith(
                           "spec.machine_type: 'nonexistent-9.9' is not a machine type")));
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(nics_.calls, IsEmpty());
  spec.machine = "pc-q35-7.2";
  EXPECT_TRUE(vms_->Create(spec).ok());
}

TEST_F(VmManagerTest, AMacIsOneNicsOnThisHost) {
  Made("vm1", /*running=*/false);  // its NIC has kMac1
  hypervisor_.ClearCalls();
  const auto taken = vms_->Create(Spec("vm2"));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(MessageOf(taken.status()),
            "spec.nics[0].mac: 52:54:00:00:00:01 is already the MAC of a NIC of VM 'vm1' on this "
            "host");
  EXPECT_THAT(Changes(), IsEmpty());
  // A hot-plugged NIC is held to the same rule.
  VmConfig other = Spec("vm2");
  other.nics[0].mac = kMac2;
  ASSERT_TRUE(vms_->Create(other).ok());
  const auto added = devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"});
  EXPECT_EQ(added.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(MessageOf(added.status()), ::testing::HasSubstr("spec.mac: 52:54:00:00:00:02"));
  EXPECT_EQ(Defined("vm1").nics.size(), 1U);
}

TEST_F(VmManagerTest, PowerOnRunsOnWhenTheStartTimeCannotBeNoted) {
  Made("vm1", /*running=*/false);
  hypervisor_.Fail("SetLiveMetadata", absl::InternalError("no metadata"));
  auto on = vms_->PowerOn("vm1");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->state, DomainState::kRunning);
  EXPECT_FALSE(on->started_unix_ms.has_value());
}

TEST_F(VmManagerTest, PowerOperationsActOnlyInTheStatesTheyAllow) {
  Made("vm1", /*running=*/false);
  hypervisor_.ClearCalls();
  // Off: nothing to pause, reboot, reset or resume; powering off is done.
  EXPECT_EQ(vms_->Pause("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Reboot("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Reset("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Resume("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(vms_->PowerOff("vm1").ok());
  EXPECT_TRUE(vms_->Shutdown("vm1", std::chrono::seconds(0), false).ok());
  EXPECT_THAT(Changes(), IsEmpty());

  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  hypervisor_.ClearCalls();
  // Running: resume is done already; reboot acts.
  EXPECT_EQ(vms_->Resume("vm1")->state, DomainState::kRunning);
  EXPECT_EQ(vms_->Reboot("vm1")->state, DomainState::kRunning);
  EXPECT_EQ(vms_->Pause("vm1")->state, DomainState::kPaused);
  EXPECT_THAT(Changes(), ElementsAre("Reboot vm1", "Suspend vm1"));

  hypervisor_.ClearCalls();
  // Paused: pause is done already, reboot and power-on are refused, reset and
  // resume act.
  EXPECT_EQ(vms_->Pause("vm1")->state, DomainState::kPaused);
  EXPECT_EQ(vms_->Reboot("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->PowerOn("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Reset("vm1")->state, DomainState::kPaused);
  EXPECT_EQ(vms_->Resume("vm1")->state, DomainState::kRunning);
  EXPECT_EQ(vms_->PowerOff("vm1")->state, DomainState::kShutOff);
  EXPECT_THAT(Changes(), ElementsAre("Reset vm1", "Resume vm1", "Destroy vm1"));
}

TEST_F(VmManagerTest, ShutdownWaitsForTheGuestThenPowersOffOnlyWhenAsked) {
  Made("vm1", /*running=*/true);
  auto down = vms_->Shutdown("vm1", std::chrono::seconds(1), /*power_off_on_timeout=*/false);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->state, DomainState::kShutOff);

  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  hypervisor_.set_guests_honour_acpi(false);
  hypervisor_.ClearCalls();
  down = vms_->Shutdown("vm1", std::chrono::seconds(0), /*power_off_on_timeout=*/false);
  EXPECT_EQ(down.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StateOf("vm1"), DomainState::kRunning);
  EXPECT_THAT(Changes(), ElementsAre("Shutdown vm1"));

  hypervisor_.ClearCalls();
  down = vms_->Shutdown("vm1", std::chrono::seconds(0), /*power_off_on_timeout=*/true);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(down->state, DomainState::kShutOff);
  EXPECT_THAT(Changes(), ElementsAre("Shutdown vm1", "Destroy vm1"));
}

TEST_F(VmManagerTest, NicAddedToARunningVmIsPluggedThenHotPluggedAndDefined) {
  const VmStatus vm = Made("vm1", /*running=*/true);
  hypervisor_.ClearCalls();
  nics_.calls.clear();

  auto added = devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_THAT(Changes(), ElementsAre("AttachLiveDevice vm1", "DefineDomain vm1"));
  EXPECT_THAT(nics_.calls, ElementsAre("Attach " + std::string(kMac2)));
  const std::string tap = TapNameFor(vm.config.uuid, kMac2);
  ASSERT_TRUE(nics_.plugged.contains(tap));
  EXPECT_EQ(nics_.plugged[tap].nic.vlan_id, 20U);
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices,
              ElementsAre("interface " + std::string(kMac1), "interface " + std::string(kMac2)));
  const VmConfig defined = Defined("vm1");
  ASSERT_EQ(defined.nics.size(), 2U);
  EXPECT_EQ(defined.nics[1].mac, kMac2);
  EXPECT_EQ(defined.nics[1].tap, tap);
  EXPECT_EQ(defined.generation, 2);
  EXPECT_EQ(added->config, defined);
}

TEST_F(VmManagerTest, VmsKeepPciSlotsForNicsPerVmFromCreateOrTheirNextPowerOn) {
  Made("vm1", /*running=*/false);
  EXPECT_EQ(Defined("vm1").nic_slots, 4U);
  // A VM defined before slots were reserved: redefined with them before it
  // starts.
  VmConfig before = Defined("vm1");
  before.nic_slots = 0;
  ASSERT_TRUE(hypervisor_.DefineDomain(BuildDomainXml(before).value()).ok());
  hypervisor_.ClearCalls();
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1", "Start vm1", "SetLiveMetadata vm1"));
  EXPECT_EQ(Defined("vm1").nic_slots, 4U);
}

TEST_F(VmManagerTest, NicHotPlugWithoutAFreePciSlotIsResourceExhaustedNamingTheLimit) {
  Made("vm1", /*running=*/true);
  // What LastLibvirtError makes of libvirt's "No more available PCI slots".
  hypervisor_.Fail("AttachLiveDevice", absl::ResourceExhaustedError("No more available PCI slots"));
  hypervisor_.ClearCalls();
  nics_.calls.clear();
  const auto added = devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"});
  EXPECT_EQ(added.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(added.status().message()), ::testing::HasSubstr("nics_per_vm is 4"));
  EXPECT_THAT(Changes(), ElementsAre("AttachLiveDevice vm1"));  // refused: no define
  EXPECT_THAT(nics_.calls,
              ElementsAre("Attach " + std::string(kMac2), "Detach " + std::string(kMac2)));
  EXPECT_EQ(Defined("vm1").nics.size(), 1U);
}

TEST_F(VmManagerTest, NicAddedToAStoppedVmIsOnlyDefined) {
  Made("vm1", /*running=*/false);
  hypervisor_.ClearCalls();
  ASSERT_TRUE(devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"}).ok());
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1"));
  EXPECT_THAT(nics_.calls, IsEmpty());
  EXPECT_EQ(Defined("vm1").nics.size(), 2U);
}

TEST_F(VmManagerTest, NicAddThatFailsMidwayUndoesWhatItDid) {
  Made("vm1", /*running=*/true);
  const VmConfig before = Defined("vm1");
  const std::vector<std::string> taps_before = nics_.Taps();

  // The hot-plug fails: the new port goes again.
  hypervisor_.Fail("AttachLiveDevice", absl::InternalError("QEMU said no"));
  EXPECT_EQ(devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(nics_.calls, Contains("Attach " + std::string(kMac2)));
  EXPECT_EQ(nics_.Taps(), taps_before);
  EXPECT_EQ(Defined("vm1"), before);
  hypervisor_.Heal("AttachLiveDevice");

  // The definition fails: the device is unplugged and the port goes.
  hypervisor_.Fail("DefineDomain", absl::InternalError("disk full"));
  EXPECT_EQ(devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(hypervisor_.Calls(), Contains("DetachLiveDevice vm1"));
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices,
              ElementsAre("interface " + std::string(kMac1)));
  EXPECT_EQ(nics_.Taps(), taps_before);
  EXPECT_EQ(Defined("vm1"), before);
}

// A call killed between its hot-plug and its define: the retry (the same
// MAC, from the call's intent) only defines, and the guest has one NIC.
TEST_F(VmManagerTest, NicAddCutShortAfterItsHotPlugIsFinishedByItsRetry) {
  const VmStatus vm = Made("vm1", /*running=*/true);
  VmConfig with_nic = vm.config;
  with_nic.nics.push_back({.mac = kMac2, .network = "vlan.20"});
  with_nic.nics.back().tap = TapNameFor(vm.config.uuid, kMac2);
  const auto device = NicDeviceXml(with_nic, kMac2);
  ASSERT_TRUE(device.ok()) << device.status();
  ASSERT_TRUE((*hypervisor_.LookupDomain("vm1"))->AttachLiveDevice(*device).ok());
  hypervisor_.ClearCalls();

  auto added = devices_->AddNic("vm1", {.mac = kMac2, .network = "vlan.20"});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1"));
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices,
              ElementsAre("interface " + std::string(kMac1), "interface " + std::string(kMac2)));
  EXPECT_EQ(Defined("vm1").nics.size(), 2U);
  EXPECT_TRUE(nics_.plugged.contains(TapNameFor(vm.config.uuid, kMac2)));
}

// A call killed between its unplug and its define: the retry defines and
// removes the port, and unplugs nothing twice (libvirt would answer
// "device not found" for ever).
TEST_F(VmManagerTest, NicRemovalCutShortAfterItsUnplugIsFinishedByItsRetry) {
  const VmStatus vm = MadeWithTwoNics("vm1", /*running=*/true);
  const auto device = NicDeviceXml(Defined("vm1"), kMac2);
  ASSERT_TRUE(device.ok()) << device.status();
  ASSERT_TRUE((*hypervisor_.LookupDomain("vm1"))->DetachLiveDevice(*device).ok());
  hypervisor_.ClearCalls();

  auto removed = devices_->RemoveNic("vm1", kMac2);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1"));
  EXPECT_EQ(Defined("vm1").nics.size(), 1U);
  EXPECT_THAT(nics_.Taps(), ElementsAre(TapNameFor(vm.config.uuid, kMac1)));
}

// A call killed between its define and the port's removal: the NIC is gone
// from the VM, and the leftover sweep removes its port.
TEST_F(VmManagerTest, APortWhoseNicIsGoneFromItsVmIsSweptAsALeftover) {
  const VmStatus vm = MadeWithTwoNics("vm1", /*running=*/true);
  VmConfig without = Defined("vm1");
  without.nics.pop_back();
  ASSERT_TRUE(hypervisor_.DefineDomain(BuildDomainXml(without).value()).ok());
  ASSERT_EQ(nics_.Taps().size(), 2U);

  auto removed = reconciler_->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(TapNameFor(vm.config.uuid, kMac2)));
  EXPECT_THAT(nics_.Taps(), ElementsAre(TapNameFor(vm.config.uuid, kMac1)));
}

// An attach or detach killed between its tap and its port leaves a tap with
// no port (listed under no VM): swept unless an owned VM names it, or while a
// VM arrives (its NICs come before its domain).
TEST_F(VmManagerTest, ATapWithNoPortIsSweptUnlessAVmNamesItOrOneArrives) {
  const VmStatus vm = MadeWithTwoNics("vm1", /*running=*/true);
  const std::string named = TapNameFor(vm.config.uuid, kMac2);
  const std::string stray = TapNameFor("0b0e2c1a-5f7d-4c7e-9a57-3c2e8d1f0a11", kMac1);
  nics_.plugged.erase(named);
  nics_.portless_taps = {named, stray};

  domains_.MarkArriving("1c9ad0ee-0f39-4c5e-8a0f-6f4f2b2d9c11",
                        std::chrono::steady_clock::now() + std::chrono::hours(1));
  auto removed = reconciler_->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre());
  domains_.ClearArriving("1c9ad0ee-0f39-4c5e-8a0f-6f4f2b2d9c11");

  removed = reconciler_->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(stray));
  EXPECT_THAT(nics_.Taps(), ElementsAre(TapNameFor(vm.config.uuid, kMac1)));
  EXPECT_THAT(nics_.portless_taps, ElementsAre(named));
}

// Likewise a disk removal killed between its define and the image's removal:
// the image its VM no longer names is swept, the VM's other image stays.
TEST_F(VmManagerTest, AnImageWhoseDiskIsGoneFromItsVmIsSweptAsALeftover) {
  Made("vm1", /*running=*/true);
  ASSERT_TRUE(devices_->AddDisk("vm1", {.agent_created = true, .size_bytes = kMiB}).ok());
  ASSERT_TRUE(devices_->AddDisk("vm1", {.agent_created = true, .size_bytes = kMiB}).ok());
  VmConfig without = Defined("vm1");
  const std::string gone = std::filesystem::path(without.disks.back().path).filename();
  const std::string kept = std::filesystem::path(without.disks.front().path).filename();
  without.disks.pop_back();
  ASSERT_TRUE(hypervisor_.DefineDomain(BuildDomainXml(without).value()).ok());
  ASSERT_THAT(Images(), UnorderedElementsAre(gone, kept));

  auto removed = reconciler_->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, ElementsAre(state_dir_ + "/disks/" + gone));
  EXPECT_THAT(Images(), ElementsAre(kept));
}

TEST_F(VmManagerTest, NicRemovedFromARunningVmIsUnpluggedThenDefinedThenItsPortGoes) {
  const VmStatus vm = MadeWithTwoNics("vm1", /*running=*/true);
  hypervisor_.ClearCalls();

  auto removed = devices_->RemoveNic("vm1", kMac2);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(Changes(), ElementsAre("DetachLiveDevice vm1", "DefineDomain vm1"));
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices,
              ElementsAre("interface " + std::string(kMac1)));
  EXPECT_THAT(nics_.Taps(), ElementsAre(TapNameFor(vm.config.uuid, kMac1)));
  const VmConfig defined = Defined("vm1");
  ASSERT_EQ(defined.nics.size(), 1U);
  EXPECT_EQ(defined.nics[0].mac, kMac1);
  EXPECT_EQ(defined.generation, 2);

  EXPECT_EQ(devices_->RemoveNic("vm1", kMac2).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(VmManagerTest, NicAddAndUpdateRefusalsNameTheRequestsOwnFields) {
  MadeWithTwoNics("vm1", /*running=*/true);
  const VmConfig before = Defined("vm1");
  hypervisor_.ClearCalls();
  // A multicast MAC on a VM's third NIC: CreateNicRequest.spec.mac, not
  // the VM's spec.nics[2].mac.
  EXPECT_THAT(devices_->AddNic("vm1", {.mac = "53:54:00:00:00:03", .network = "vlan.10"}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::StartsWith("spec.mac: ")));
  EXPECT_THAT(devices_->AddNic("vm1", {.network = "vlan.10", .model = "ne2k"}),
              StatusIs(::testing::_, ::testing::StartsWith("spec.model: ")));
  // A bad VLAN on the second NIC: UpdateNicRequest.spec.trunked_vlans[1].
  EXPECT_THAT(
      devices_->UpdateNic(
          "vm1", kMac2,
          {.network = "vlan.20", .vlan_mode = VlanMode::kTrunked, .trunked_vlans = {30, 5000}}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::StartsWith("spec.trunked_vlans[1]: ")));
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_EQ(Defined("vm1"), before);
}

TEST_F(VmManagerTest, NicRemovalTheGuestRefusesChangesNothing) {
  MadeWithTwoNics("vm1", /*running=*/true);
  const VmConfig before = Defined("vm1");
  hypervisor_.Fail("DetachLiveDevice", absl::DeadlineExceededError("guest did not let go"));

  EXPECT_EQ(devices_->RemoveNic("vm1", kMac2).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Defined("vm1"), before);
  EXPECT_EQ(nics_.plugged.size(), 2U);
  EXPECT_THAT(nics_.calls, Not(Contains("Detach " + std::string(kMac2))));
}

TEST_F(VmManagerTest, NicRemovalThatCannotBeDefinedPlugsTheDeviceBackIn) {
  MadeWithTwoNics("vm1", /*running=*/true);
  const VmConfig before = Defined("vm1");
  hypervisor_.Fail("DefineDomain", absl::InternalError("disk full"));

  EXPECT_EQ(devices_->RemoveNic("vm1", kMac2).status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(hypervisor_.Calls(), Contains("DetachLiveDevice vm1"));
  EXPECT_THAT(
      hypervisor_.Find("vm1")->live_devices,
      UnorderedElementsAre("interface " + std::string(kMac1), "interface " + std::string(kMac2)));
  EXPECT_EQ(nics_.plugged.size(), 2U);
  EXPECT_EQ(Defined("vm1"), before);
}

TEST_F(VmManagerTest, DiskRemovalThatCannotBeDefinedKeepsDeviceAndImage) {
  Made("vm1", /*running=*/true);
  ASSERT_TRUE(devices_->AddDisk("vm1", {.agent_created = true, .size_bytes = kMiB}).ok());
  const VmConfig before = Defined("vm1");
  hypervisor_.Fail("DefineDomain", absl::InternalError("disk full"));

  EXPECT_EQ(devices_->RemoveDisk("vm1", "sda", /*keep_volume=*/false).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices, Contains("disk sda"));
  EXPECT_EQ(Images().size(), 1U);
  EXPECT_EQ(Defined("vm1"), before);
}

TEST_F(VmManagerTest, NicUpdateOnARunningVmRestoresThePortWhenTheDefinitionFails) {
  const VmStatus vm = Made("vm1", /*running=*/true);
  const std::string tap = TapNameFor(vm.config.uuid, kMac1);
  const VmConfig before = Defined("vm1");
  hypervisor_.Fail("DefineDomain", absl::InternalError("disk full"));

  EXPECT_EQ(devices_->UpdateNic("vm1", kMac1, {.network = "vlan.20"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(nics_.plugged[tap].nic.network, "vlan.10");
  EXPECT_EQ(nics_.plugged[tap].nic.vlan_id, 10U);
  EXPECT_EQ(Defined("vm1"), before);
  hypervisor_.Heal("DefineDomain");

  // Without the failure the port moves in place (never unplugged).
  nics_.calls.clear();
  hypervisor_.ClearCalls();
  ASSERT_TRUE(devices_->UpdateNic("vm1", kMac1, {.network = "vlan.20"}).ok());
  EXPECT_EQ(nics_.plugged[tap].nic.vlan_id, 20U);
  EXPECT_THAT(nics_.calls, ElementsAre("Attach " + std::string(kMac1)));
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1"));
  EXPECT_EQ(Defined("vm1").nics[0].network, "vlan.20");
  // Another bridge's network is refused.
  EXPECT_EQ(devices_->UpdateNic("vm1", kMac1, {.network = "elsewhere"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(VmManagerTest, DiskAddThatFailsMidwayLeavesNoDeviceAndNoImage) {
  Made("vm1", /*running=*/true);
  const VmConfig before = Defined("vm1");
  hypervisor_.Fail("DefineDomain", absl::InternalError("disk full"));

  EXPECT_EQ(devices_->AddDisk("vm1", {.agent_created = true, .size_bytes = kMiB}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_THAT(hypervisor_.Calls(), Contains("AttachLiveDevice vm1"));
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices, Not(Contains("disk sda")));
  EXPECT_THAT(Images(), IsEmpty());
  EXPECT_EQ(Defined("vm1"), before);
  hypervisor_.Heal("DefineDomain");

  auto added = devices_->AddDisk("vm1", {.agent_created = true, .size_bytes = kMiB});
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices, Contains("disk sda"));
  EXPECT_EQ(Images().size(), 1U);
  ASSERT_EQ(Defined("vm1").disks.size(), 1U);

  ASSERT_TRUE(devices_->RemoveDisk("vm1", "sda", /*keep_volume=*/false).ok());
  EXPECT_THAT(hypervisor_.Find("vm1")->live_devices, Not(Contains("disk sda")));
  EXPECT_THAT(Images(), IsEmpty());
  EXPECT_THAT(Defined("vm1").disks, IsEmpty());
}

TEST_F(VmManagerTest, UpdateResizesOnlyAStoppedVm) {
  Made("vm1", /*running=*/true);
  hypervisor_.ClearCalls();
  EXPECT_EQ(vms_->Update("vm1", {.vcpus = 2}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(vms_->Update("vm1", {.labels = std::map<std::string, std::string>{{"a", "b"}},
                                 .expected_generation = 7})
                .status()
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_THAT(Changes(), IsEmpty());

  // Labels change while it runs.
  ASSERT_TRUE(vms_->Update("vm1", {.labels = std::map<std::string, std::string>{{"a", "b"}}}).ok());
  EXPECT_EQ(Defined("vm1").labels.at("a"), "b");
  ASSERT_TRUE(vms_->PowerOff("vm1").ok());
  auto resized = vms_->Update("vm1", {.vcpus = 2, .expected_generation = 2});
  ASSERT_TRUE(resized.ok()) << resized.status();
  EXPECT_EQ(Defined("vm1").vcpus, 2U);
  EXPECT_EQ(Defined("vm1").generation, 3);
}

// A retry of an update cut short after its define: the VM is at the next
// generation with every value the update sets, so the retry answers OK (and
// defines nothing); any other change since still answers ABORTED.
// A PowerOn retried while the start of its killed attempt is under way
// (libvirt shows the domain paused, starting up) answers once QEMU runs; a
// VM paused by someone stays a refusal.
TEST_F(VmManagerTest, PowerOnWaitsOutAStartUnderWayButRefusesAPausedVm) {
  Made("vm1", /*running=*/true);
  hypervisor_.MarkStartingUp("vm1", 3);
  hypervisor_.ClearCalls();
  auto on = vms_->PowerOn("vm1");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->state, DomainState::kRunning);
  EXPECT_THAT(Changes(), IsEmpty());  // started once, by the first attempt

  ASSERT_TRUE(vms_->Pause("vm1").ok());
  EXPECT_EQ(vms_->PowerOn("vm1").status().code(), absl::StatusCode::kFailedPrecondition);
}

// A generated MAC is drawn again while a NIC on the host (or of the VM being
// made) has it: 24 random bits collided in a bench at ~2,000 NICs, and the
// create was refused ALREADY_EXISTS for a MAC the agent itself had made.
TEST_F(VmManagerTest, AFreshMacIsNoNicsOnTheHostNorTakenOnes) {
  const VmStatus vm = Made("vm1", /*running=*/false);
  const std::string used = vm.config.nics.at(0).mac;
  std::vector<std::string> draws = {used, kMac2, "52:54:00:00:00:09"};
  size_t next = 0;
  const auto random = [&] { return draws.at(next++); };
  EXPECT_EQ(domains_.FreshMac({}, random), kMac2);
  next = 0;
  EXPECT_EQ(domains_.FreshMac({kMac2}, random), "52:54:00:00:00:09");
  EXPECT_EQ(next, 3U);
}

TEST_F(VmManagerTest, AResumedUpdateFindsItsOwnChangeMade) {
  Made("vm1", /*running=*/false);
  const VmUpdate update{.vcpus = 2, .expected_generation = 1};
  ASSERT_TRUE(vms_->Update("vm1", update).ok());
  ASSERT_EQ(Defined("vm1").generation, 2);
  hypervisor_.ClearCalls();

  EXPECT_EQ(vms_->Update("vm1", update).status().code(), absl::StatusCode::kAborted);
  VmUpdate resumed = update;
  resumed.resuming = true;
  auto answered = vms_->Update("vm1", resumed);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(answered->config.generation, 2);
  EXPECT_EQ(answered->config.vcpus, 2U);
  EXPECT_THAT(Changes(), IsEmpty());

  VmUpdate other = resumed;  // not what was made: 4 vCPUs
  other.vcpus = 4;
  EXPECT_EQ(vms_->Update("vm1", other).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Defined("vm1").vcpus, 2U);
}

TEST_F(VmManagerTest, RemoveLeftoversRemovesNothingWhenTheDomainsCannotBeRead) {
  const VmStatus alive = Made("vm1", /*running=*/true);
  // What a VM that no longer exists left: a port and an image.
  const std::string gone_uuid = "0b0e6a4e-1f53-4c1e-9a53-5a1f0c3e2d10";
  const NicConfig leftover{.mac = kMac2, .network = "vlan.10", .tap = TapNameFor(gone_uuid, kMac2)};
  nics_.plugged[leftover.tap] = {gone_uuid, leftover};
  std::filesystem::create_directories(state_dir_ + "/disks");
  const std::string image = gone_uuid + "-sda.raw";
  std::ofstream(state_dir_ + "/disks/" + image) << "data";

  for (const char* call : {"ListDomains", "Uuid"}) {
    hypervisor_.Fail(call, absl::UnavailableError("libvirtd is down"));
    EXPECT_EQ(reconciler_->RemoveLeftovers().status().code(), absl::StatusCode::kUnavailable)
        << call;
    EXPECT_EQ(nics_.plugged.size(), 2U) << call;
    EXPECT_THAT(Images(), ElementsAre(image)) << call;
    hypervisor_.Heal(call);
  }

  auto removed = reconciler_->RemoveLeftovers();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_THAT(*removed, UnorderedElementsAre(leftover.tap, state_dir_ + "/disks/" + image));
  EXPECT_THAT(nics_.Taps(), ElementsAre(alive.config.nics[0].tap));
  EXPECT_THAT(Images(), IsEmpty());
}

TEST_F(VmManagerTest, ExternalDomainsAreListedButNeverChanged) {
  Made("vm1", /*running=*/false);
  auto foreign = hypervisor_.DefineDomain(hvagent::testing::kForeignDomainXml);
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE((*foreign)->Start().ok());

  auto owned = vms_->List(/*include_external=*/false);
  ASSERT_TRUE(owned.ok()) << owned.status();
  ASSERT_EQ(owned->size(), 1U);
  EXPECT_EQ((*owned)[0].config.name, "vm1");
  auto all = vms_->List(/*include_external=*/true);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].config.name, "foreign");
  EXPECT_TRUE((*all)[0].config.external);
  EXPECT_EQ((*all)[0].state, DomainState::kRunning);
  auto got = vms_->Get("foreign");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->config.external);

  hypervisor_.ClearCalls();
  const auto refused = absl::StatusCode::kFailedPrecondition;
  EXPECT_EQ(vms_->PowerOff("foreign").status().code(), refused);
  EXPECT_EQ(vms_->Pause("foreign").status().code(), refused);
  EXPECT_EQ(vms_->Reboot("foreign").status().code(), refused);
  EXPECT_EQ(vms_->Shutdown("foreign", std::chrono::seconds(0), true).status().code(), refused);
  EXPECT_EQ(vms_->Delete("foreign", /*force=*/true, /*keep_disks=*/false).code(), refused);
  EXPECT_EQ(
      vms_->Update("foreign", {.labels = std::map<std::string, std::string>{}}).status().code(),
      refused);
  EXPECT_EQ(devices_->AddNic("foreign", {.network = "vlan.10"}).status().code(), refused);
  EXPECT_EQ(
      devices_->AddDisk("foreign", {.agent_created = true, .size_bytes = kMiB}).status().code(),
      refused);
  EXPECT_TRUE(reconciler_->ReconcileVm("foreign").code() == refused);
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_THAT(nics_.calls, IsEmpty());
  EXPECT_EQ(StateOf("foreign"), DomainState::kRunning);
  // Nor does the agent think it runs one of its own VMs.
  EXPECT_THAT(*reconciler_->RunningVmNames(), IsEmpty());
}

TEST_F(VmManagerTest, ReconcilePlugsTheNicsOfARunningVmOnly) {
  const VmStatus vm = Made("vm1", /*running=*/true);
  nics_.plugged.clear();  // the port went while the agent was away
  ASSERT_TRUE(reconciler_->ReconcileVm("vm1").ok());
  EXPECT_THAT(nics_.Taps(), ElementsAre(vm.config.nics[0].tap));

  ASSERT_TRUE(vms_->PowerOff("vm1").ok());
  nics_.plugged.clear();
  nics_.calls.clear();
  ASSERT_TRUE(reconciler_->ReconcileVm("vm1").ok());
  EXPECT_THAT(nics_.calls, IsEmpty());
}

TEST_F(VmManagerTest, NetworkInUseIsNotChanged) {
  Made("vm1", /*running=*/false);
  bool changed = false;
  const Status refused = vms_->ChangeIfUnused("vlan.10", "be deleted", [&] {
    changed = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(changed);
  EXPECT_TRUE(vms_->ChangeIfUnused("vlan.20", "be deleted",
                                   [&] {
                                     changed = true;
                                     return absl::OkStatus();
                                   })
                  .ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(vms_->NicCounts()->at("vlan.10"), 1U);
}

// The cluster baseline as VmManager sees it: a CPU to hand out, and a fixed
// answer for where a CPU stands.
class FakeCpuPolicy final : public DomainCpuPolicy {
 public:
  std::string baseline;  // "" : none set
  StatusOr<std::string> CpuXmlFor(const VmConfig& config) override {
    if (!config.cpu_model_override.empty()) {
      return "<cpu><model>" + config.cpu_model_override + "</model></cpu>";
    }
    return baseline;
  }
  StatusOr<CpuStanding> StandingOf(const std::string& cpu_xml) override {
    if (baseline.empty()) return CpuStanding::kNoBaseline;
    return cpu_xml == CanonicalCpuBaselineXml(baseline).value() ? CpuStanding::kAt
                                                                : CpuStanding::kAbove;
  }
};

class VmCpuBaselineTest : public VmManagerTest {
 protected:
  void SetUp() override {
    VmManagerTest::SetUp();
    vms_ = hvagent::testing::MakeTestVmManager(state_dir_, cpu_domains_, nics_, networks_);
  }
  FakeCpuPolicy policy_;
  VmDomains cpu_domains_{hypervisor_, &policy_};
};

constexpr char kWestmere[] =
    "<cpu mode='custom' match='exact'><model fallback='forbid'>Westmere</model>"
    "<vendor>Intel</vendor><feature policy='disable' name='ssse3'/></cpu>";

TEST_F(VmCpuBaselineTest, WithoutABaselineTheDomainIsHostModel) {
  auto created = vms_->Create(Spec("vm1"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Defined("vm1").cpu_baseline_xml, "");
  EXPECT_EQ(created->cpu_standing, CpuStanding::kNoBaseline);
}

TEST_F(VmCpuBaselineTest, ANewVmGetsTheBaseline) {
  policy_.baseline = kWestmere;
  auto created = vms_->Create(Spec("vm1"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Defined("vm1").cpu_baseline_xml, CanonicalCpuBaselineXml(kWestmere).value());
  EXPECT_EQ(created->cpu_standing, CpuStanding::kAt);
}

TEST_F(VmCpuBaselineTest, ARunningVmKeepsItsCpuUntilItsNextPowerOn) {
  Made("vm1", /*running=*/true);
  policy_.baseline = kWestmere;
  hypervisor_.ClearCalls();
  // Reads and non-power changes leave the definition's CPU as it is.
  auto got = vms_->Get("vm1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->cpu_standing, CpuStanding::kAbove);
  ASSERT_TRUE(vms_->PowerOn("vm1").ok());  // already running: nothing happens
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_EQ(Defined("vm1").cpu_baseline_xml, "");

  ASSERT_TRUE(vms_->PowerOff("vm1").ok());
  hypervisor_.ClearCalls();
  auto on = vms_->PowerOn("vm1");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_THAT(Changes(), ElementsAre("DefineDomain vm1", "Start vm1", "SetLiveMetadata vm1"));
  EXPECT_EQ(Defined("vm1").cpu_baseline_xml, CanonicalCpuBaselineXml(kWestmere).value());
  EXPECT_EQ(on->cpu_standing, CpuStanding::kAt);
}

TEST_F(VmCpuBaselineTest, TheOverrideWinsAndIsKept) {
  policy_.baseline = kWestmere;
  VmConfig spec = Spec("vm1");
  spec.cpu_model_override = "Nehalem";
  auto created = vms_->Create(spec);
  ASSERT_TRUE(created.ok()) << created.status();
  const VmConfig defined = Defined("vm1");
  EXPECT_EQ(defined.cpu_model_override, "Nehalem");
  EXPECT_EQ(defined.cpu_baseline_xml,
            CanonicalCpuBaselineXml("<cpu><model>Nehalem</model></cpu>").value());
}

}  // namespace
}  // namespace hvagent::compute
