// ControllerVmManager over the sysfs tree recorded from a real kernel, a fake
// hypervisor seam and a fake vfio binder (no test machine has VFIO hardware):
// validation before binding, binding before defining, autostart, the XML
// backup, reconfiguration, and the protection check.
#include "hvagent/compute/controller_vm_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "hvagent/store/database.h"
#include "hvagent_test/database.h"
#include "hvagent_test/golden.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::compute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class FakeDomains : public ControllerVmDomains {
 public:
  StatusOr<std::optional<std::string>> PersistentXml(const std::string& name) override {
    const auto it = xml.find(name);
    if (it == xml.end()) return std::nullopt;
    return it->second;
  }
  Status Define(const std::string& text) override {
    if (fail_define) return absl::InvalidArgumentError("injected define failure");
    auto facts = ParseControllerVmXml(text);
    if (!facts.ok()) return facts.status();
    xml[facts->name] = text;
    ++defines;
    return absl::OkStatus();
  }
  StatusOr<bool> Autostart(const std::string& name) override { return autostart[name]; }
  Status SetAutostart(const std::string& name) override {
    if (fail_autostart) return absl::UnavailableError("injected autostart failure");
    autostart[name] = true;
    return absl::OkStatus();
  }
  StatusOr<std::string> State(const std::string&) override { return state; }

  std::map<std::string, std::string> xml;
  std::map<std::string, bool> autostart;
  bool fail_define = false;
  bool fail_autostart = false;
  std::string state = "shut-off";
  int defines = 0;
};

class FakeBinder : public pci::DeviceBinder {
 public:
  Status Detach(const pci::PciAddress& a) override {
    drivers[a.ToString()] = "vfio-pci";
    return absl::OkStatus();
  }
  Status Reattach(const pci::PciAddress& a) override {
    drivers[a.ToString()] = "host";
    return absl::OkStatus();
  }
  std::map<std::string, std::string> drivers;
};

class ControllerVmManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(db_, nullptr);
    store_ = std::make_unique<store::PassthroughStore>(*db_);
    binder_ = std::make_unique<PassthroughBinder>(*store_, fake_binder_);
    ControllerVmOptions options;
    options.host_name = "host1";
    options.sysfs.root = hvagent::testing::TestDataPath("pci/q35-recorded");
    options.backup_dir = (dir_ / "cvm").string();
    options.domain_type = "qemu";
    manager_ = std::make_unique<ControllerVmManager>(options, domains_, *binder_);
  }
  static ControllerVmRequest Request(std::vector<pci::ControllerSelection> controllers) {
    return {std::move(controllers), 2, uint64_t{4} << 30};
  }

  hvagent::testing::TempDir dir_{"hvagent-cvm-test"};
  std::unique_ptr<store::Database> db_ =
      hvagent::testing::OpenDatabaseOrFail((dir_ / "state.db").string());
  std::unique_ptr<store::PassthroughStore> store_;
  FakeBinder fake_binder_;
  std::unique_ptr<PassthroughBinder> binder_;
  FakeDomains domains_;
  std::unique_ptr<ControllerVmManager> manager_;
};

TEST_F(ControllerVmManagerTest, ConfiguresThePinnedCvmWithAutostartAndBackup) {
  auto status = manager_->Configure(Request({{"0000:81:00.0", "1b36", "0010"}}));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(manager_->name(), "NTNX-host1-CVM");
  EXPECT_TRUE(status->defined);
  EXPECT_TRUE(status->autostart);
  EXPECT_EQ(status->internal_address, "192.168.5.254");
  EXPECT_THAT(status->facts.hostdev_addresses, ElementsAre("0000:81:00.0"));
  // Node 1's CPUs, as the recorded kernel listed them.
  EXPECT_THAT(status->facts.vcpupin_cpusets, ElementsAre("1", "1"));
  EXPECT_EQ(status->facts.numatune_nodeset, "1");
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "vfio-pci");
  EXPECT_THAT(*binder_->BoundAddresses(), ElementsAre("0000:81:00.0"));
  std::ifstream backup(dir_ / "cvm/NTNX-host1-CVM.xml");
  std::stringstream text;
  text << backup.rdbuf();
  EXPECT_EQ(text.str(), domains_.xml["NTNX-host1-CVM"]);
  ASSERT_EQ(status->controllers.size(), 1u);
  EXPECT_EQ(status->controllers[0].device.driver, "nvme");  // as recorded
}

TEST_F(ControllerVmManagerTest, AnUnsafeSelectionBindsAndDefinesNothing) {
  auto refused = manager_->Configure(Request({{"0000:01:00.0", "1af4", "1048"}}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("root, boot or swap"));
  auto half_group = manager_->Configure(Request({{"0000:05:01.0", "1000", "0079"}}));
  EXPECT_EQ(half_group.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(fake_binder_.drivers, IsEmpty());
  EXPECT_EQ(domains_.defines, 0);
  EXPECT_FALSE(manager_->Get()->defined);
}

TEST_F(ControllerVmManagerTest, ReconfiguringKeepsTheUuidAndReleasesWhatIsDropped) {
  auto first = manager_->Configure(Request({{"0000:81:00.0", "1b36", "0010"}}));
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = manager_->Configure(
      Request({{"0000:05:01.0", "1000", "0079"}, {"0000:05:02.0", "1000", "0054"}}));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->facts.uuid, first->facts.uuid);
  EXPECT_THAT(second->facts.hostdev_addresses, ElementsAre("0000:05:01.0", "0000:05:02.0"));
  // No NUMA information for these (pcie.0 has no _PXM): nothing pinned.
  EXPECT_THAT(second->facts.vcpupin_cpusets, IsEmpty());
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "host");
  EXPECT_THAT(*binder_->BoundAddresses(), ElementsAre("0000:05:01.0", "0000:05:02.0"));
}

// A reconfiguration cut short after its define (the agent killed, here a
// failure after it) has not yet released what it dropped; its retry finds
// the new definition in place and must still give that endpoint back.
TEST_F(ControllerVmManagerTest, ARetriedReconfigurationReleasesWhatTheCutShortOneDropped) {
  ASSERT_TRUE(manager_->Configure(Request({{"0000:81:00.0", "1b36", "0010"}})).ok());
  const auto moved = Request({{"0000:03:00.0", "1b36", "0010"}});
  domains_.fail_autostart = true;
  EXPECT_EQ(manager_->Configure(moved).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "vfio-pci");  // not yet given back
  domains_.fail_autostart = false;
  auto retried = manager_->Configure(moved);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_THAT(retried->facts.hostdev_addresses, ElementsAre("0000:03:00.0"));
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "host");
  EXPECT_THAT(*binder_->BoundAddresses(), ElementsAre("0000:03:00.0"));
}

TEST_F(ControllerVmManagerTest, ARunningCvmKeepsItsControllers) {
  ASSERT_TRUE(manager_->Configure(Request({{"0000:81:00.0", "1b36", "0010"}})).ok());
  domains_.state = "running";
  const std::string before = domains_.xml["NTNX-host1-CVM"];
  auto refused = manager_->Configure(Request({{"0000:03:00.0", "1b36", "0010"}}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("0000:81:00.0: the Controller VM"));
  EXPECT_EQ(domains_.xml["NTNX-host1-CVM"], before);
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "vfio-pci");
  EXPECT_EQ(fake_binder_.drivers.count("0000:03:00.0"), 0u);
  // Adding one, or more memory, is fine while it runs (next boot).
  auto grown = manager_->Configure(
      {{{"0000:81:00.0", "1b36", "0010"}, {"0000:03:00.0", "1b36", "0010"}}, 2, uint64_t{8} << 30});
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_THAT(grown->facts.hostdev_addresses, ElementsAre("0000:03:00.0", "0000:81:00.0"));
}

TEST_F(ControllerVmManagerTest, AFailedDefineReleasesTheEndpoints) {
  domains_.fail_define = true;
  auto failed = manager_->Configure(Request({{"0000:81:00.0", "1b36", "0010"}}));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_binder_.drivers["0000:81:00.0"], "host");
  EXPECT_THAT(*binder_->BoundAddresses(), IsEmpty());
}

TEST_F(ControllerVmManagerTest, ProtectionRefusesUnlessForcedWithAReason) {
  std::vector<std::string> forced;
  manager_->SetForcedActionListener(
      [&](std::string_view vm, std::string_view action, std::string_view reason) {
        forced.push_back(fmt::format("{} {} {}", action, vm, reason));
      });
  EXPECT_TRUE(manager_->CheckVmAction("web1", "PowerOff", {}).ok());
  for (const char* action :
       {"PowerOff", "Shutdown", "Reset", "Pause", "DeleteVm", "UpdateVm", "MigrateVm"}) {
    const Status refused = manager_->CheckVmAction("NTNX-host1-CVM", action, {});
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << action;
    EXPECT_THAT(refused.message(), HasSubstr("the Controller VM serves this host's storage"));
  }
  // Starting it, or reading it, is never refused.
  EXPECT_TRUE(manager_->CheckVmAction("NTNX-host1-CVM", "PowerOn", {}).ok());
  EXPECT_EQ(manager_->CheckVmAction("NTNX-host1-CVM", "DeleteVm", {true, ""}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(manager_->CheckVmAction("NTNX-host1-CVM", "Reset", {true, "hung CVM"}).ok());
  EXPECT_THAT(forced, ElementsAre("Reset NTNX-host1-CVM hung CVM"));
}

}  // namespace
}  // namespace hvagent::compute
