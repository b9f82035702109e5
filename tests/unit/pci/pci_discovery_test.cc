// PCI discovery and passthrough validation: on a tree recorded from a real
// kernel (scripts/record-pci-sysfs.sh: q35 + intel-iommu, virtio-scsi "boot"
// controller with /boot and swap, AHCI, NVMe on two NUMA nodes, MegaRAID and
// MPT SAS behind one PCIe-to-PCI bridge) and on hand-made trees for the edge
// cases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "hvagent/pci/passthrough_validation.h"
#include "hvagent/pci/sysfs_inventory.h"
#include "hvagent_test/golden.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::pci {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

PciAddress Addr(const char* text) { return *PciAddress::Parse(text); }

std::vector<std::string> Names(const std::vector<PciDevice>& devices) {
  std::vector<std::string> names;
  for (const PciDevice& d : devices) names.push_back(d.address.ToString());
  return names;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

TEST(PciAddressTest, ParsesAndPrintsTheSysfsSpelling) {
  auto address = PciAddress::Parse("0000:3b:00.1");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->bus, 0x3bu);
  EXPECT_EQ(address->function, 1u);
  EXPECT_EQ(address->ToString(), "0000:3b:00.1");
  for (const char* bad :
       {"", "3b:00.0", "0000:3b:00.8", "0000:3b:20.0", "0000:3g:00.0", "0000:3b:00.0 "}) {
    EXPECT_EQ(PciAddress::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// ---- The recorded tree ----

class RecordedTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto inventory = ReadPciInventory({hvagent::testing::TestDataPath("pci/q35-recorded"), ""});
    ASSERT_TRUE(inventory.ok()) << inventory.status();
    inventory_ = *std::move(inventory);
  }
  const StorageController& Controller(const char* address) {
    const StorageController* c = inventory_.FindController(Addr(address));
    EXPECT_NE(c, nullptr) << address;
    static const StorageController kNone;
    return c ? *c : kNone;
  }
  PciInventory inventory_;
};

TEST_F(RecordedTreeTest, FindsEveryStorageControllerWithItsDriverGroupAndNode) {
  EXPECT_TRUE(inventory_.iommu_enabled);
  EXPECT_TRUE(inventory_.vfio_pci_available);  // vfio_pci was loaded in the guest
  std::vector<std::string> found;
  for (const StorageController& c : inventory_.storage_controllers) {
    found.push_back(fmt::format("{} {} {:06x} {} group={} node={}", c.device.address.ToString(),
                                c.device.VendorDevice(), c.device.class_code, c.device.driver,
                                c.device.iommu_group.value_or(999), c.device.numa_node));
  }
  EXPECT_THAT(found, ElementsAre(
                         // ICH9's own AHCI, in one group with the LPC bridge and SMBus.
                         "0000:00:1f.2 8086:2922 010601 ahci group=7 node=-1",
                         "0000:01:00.0 1af4:1048 010000 virtio-pci group=8 node=-1",
                         "0000:02:00.0 8086:2922 010601 ahci group=9 node=-1",
                         "0000:03:00.0 1b36:0010 010802 nvme group=10 node=-1",
                         "0000:05:01.0 1000:0079 010400 megaraid_sas group=11 node=-1",
                         "0000:05:02.0 1000:0054 010000 mptsas group=11 node=-1",
                         // Behind the pxb-pcie on NUMA node 1.
                         "0000:81:00.0 1b36:0010 010802 nvme group=13 node=1"));
}

TEST_F(RecordedTreeTest, FindsTheBlockDevicesBehindEachController) {
  auto disks = [&](const char* address) {
    std::vector<std::string> names;
    for (const BlockDevice& d : Controller(address).block_devices) names.push_back(d.name);
    return names;
  };
  const std::map<std::string, std::vector<std::string>> expected = {{"0000:01:00.0", {"sda"}},
                                                                    {"0000:02:00.0", {"sdb"}},
                                                                    {"0000:03:00.0", {"nvme0n1"}},
                                                                    {"0000:05:01.0", {"sdc"}},
                                                                    {"0000:81:00.0", {"nvme1n1"}}};
  for (const auto& [address, names] : expected) EXPECT_EQ(disks(address.c_str()), names) << address;
}

TEST_F(RecordedTreeTest, NeverOffersTheBootController) {
  const StorageController& boot = Controller("0000:01:00.0");
  EXPECT_FALSE(boot.assignable);
  const std::string reasons = Joined(boot.not_assignable_reasons);
  EXPECT_THAT(reasons, HasSubstr("0000:01:00.0: holds the host's root, boot or swap: sda1 is "
                                 "mounted at /boot"));
  EXPECT_THAT(reasons, HasSubstr("sda2 is swap"));
  auto refused = ValidatePassthrough(inventory_, {{"0000:01:00.0", "1af4", "1048"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("0000:01:00.0"));
  EXPECT_THAT(refused.status().message(), HasSubstr("root, boot or swap"));
}

TEST_F(RecordedTreeTest, OffersTheOthersAndGroupsTheBridgedHbas) {
  for (const char* address :
       {"0000:02:00.0", "0000:03:00.0", "0000:05:01.0", "0000:05:02.0", "0000:81:00.0"}) {
    EXPECT_TRUE(Controller(address).assignable)
        << address << ": " << Joined(Controller(address).not_assignable_reasons);
  }
  EXPECT_THAT(Names(Controller("0000:05:01.0").group_peers),
              ElementsAre("0000:04:00.0", "0000:05:02.0"));
}

TEST_F(RecordedTreeTest, AGroupWithABridgeAndTwoEndpointsGoesWhole) {
  auto alone = ValidatePassthrough(inventory_, {{"0000:05:01.0", "1000", "0079"}});
  EXPECT_EQ(alone.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(alone.status().message(),
              AllOf(HasSubstr("0000:05:01.0"), HasSubstr("IOMMU group 11 also holds 0000:05:02.0"),
                    HasSubstr("not passed along")));

  auto both = ValidatePassthrough(
      inventory_, {{"0000:05:01.0", "1000", "0079"}, {"0000:05:02.0", "1000", "0054"}});
  ASSERT_TRUE(both.ok()) << both.status();
  // The PCIe-to-PCI bridge stays with the host.
  EXPECT_THAT(Names(both->endpoints), ElementsAre("0000:05:01.0", "0000:05:02.0"));
}

TEST_F(RecordedTreeTest, ChipsetAhciSharesItsGroupWithTheSmbus) {
  auto refused = ValidatePassthrough(inventory_, {{"0000:00:1f.2", "8086", "2922"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("also holds 0000:00:1f.3 (8086:2930, other)"));
}

TEST_F(RecordedTreeTest, PlansThePinningToTheControllersNode) {
  auto plan = ValidatePassthrough(inventory_, {{"0000:81:00.0", "1b36", "0010"}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->numa_node, 1);
  EXPECT_THAT(Names(plan->endpoints), ElementsAre("0000:81:00.0"));
}

TEST_F(RecordedTreeTest, ARenumberedAddressWithAnotherDeviceIsRefused) {
  // The caller still believes the AHCI is at 03:00.0; the NVMe is there now.
  auto refused = ValidatePassthrough(inventory_, {{"0000:03:00.0", "8086", "2922"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), AllOf(HasSubstr("0000:03:00.0"), HasSubstr("1b36:0010"),
                                                HasSubstr("not the expected 8086:2922")));
  auto missing = ValidatePassthrough(inventory_, {{"0000:42:00.0", "8086", "2922"}});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("0000:42:00.0: no PCI device"));
}

TEST_F(RecordedTreeTest, BridgesAndMalformedSelectionsAreRefused) {
  auto bridge = ValidatePassthrough(inventory_, {{"0000:00:02.0", "1b36", "000c"}});
  EXPECT_EQ(bridge.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bridge.status().message(), HasSubstr("bridges are never passed through"));
  EXPECT_EQ(ValidatePassthrough(inventory_, {{"03:00.0", "1b36", "0010"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePassthrough(inventory_, {{"0000:03:00.0", "1b36", "10"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePassthrough(inventory_, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Hand-made trees ----

// Builds a sysfs tree the way the kernel lays it out, with absolute links.
class FakeSysfs {
 public:
  FakeSysfs() {
    fs::create_directories(root_ / "sys/bus/pci/devices");
    fs::create_directories(root_ / "sys/class/block");
    fs::create_directories(root_ / "sys/dev/block");
    fs::create_directories(root_ / "proc/self");
    Write("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
  }
  std::string root() const { return root_.string(); }

  void Write(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  void Append(const fs::path& relative, const std::string& text) {
    std::ofstream(root_ / relative, std::ios::app) << text;
  }
  void Link(const fs::path& relative, const fs::path& target) {
    fs::create_directories((root_ / relative).parent_path());
    fs::create_symlink(target, root_ / relative);
  }

  // `path` under sys/devices, ending in the device's address.
  void AddDevice(const std::string& path, const std::string& vendor, const std::string& device,
                 const std::string& class_code, const std::string& driver, std::optional<int> group,
                 int numa_node = 0) {
    const fs::path dir = root_ / "sys/devices" / path;
    const std::string address = dir.filename().string();
    Write(dir.lexically_relative(root_.path()) / "vendor", "0x" + vendor + "\n");
    Write(dir.lexically_relative(root_.path()) / "device", "0x" + device + "\n");
    Write(dir.lexically_relative(root_.path()) / "class", "0x" + class_code + "\n");
    Write(dir.lexically_relative(root_.path()) / "numa_node", std::to_string(numa_node) + "\n");
    Link(fs::path("sys/bus/pci/devices") / address, dir);
    if (!driver.empty()) {
      fs::create_directories(root_ / "sys/bus/pci/drivers" / driver);
      Link(dir.lexically_relative(root_.path()) / "driver", root_ / "sys/bus/pci/drivers" / driver);
    }
    if (group) {
      const fs::path group_dir = root_ / "sys/kernel/iommu_groups" / std::to_string(*group);
      fs::create_directories(group_dir / "devices");
      Link(dir.lexically_relative(root_.path()) / "iommu_group", group_dir);
      Link(group_dir.lexically_relative(root_.path()) / "devices" / address, dir);
    }
  }
  // A disk under the controller at `controller_path`, with partitions.
  void AddDisk(const std::string& controller_path, const std::string& name, int partitions = 0) {
    const fs::path dir =
        root_ / "sys/devices" / controller_path / "host0/target0:0:0/0:0:0:0/block" / name;
    fs::create_directories(dir / "holders");
    fs::create_directories(dir / "slaves");
    Link(fs::path("sys/class/block") / name, dir);
    for (int i = 1; i <= partitions; ++i) {
      const std::string part = name + std::to_string(i);
      fs::create_directories(dir / part / "holders");
      Write((dir / part / "partition").lexically_relative(root_.path()), std::to_string(i) + "\n");
      Link(fs::path("sys/class/block") / part, dir / part);
    }
  }
  fs::path BlockDir(const std::string& name) {
    return fs::canonical(root_ / "sys/class/block" / name);
  }
  // md0 over `members` (held: each member's holders/ names md0).
  void AddMd(const std::string& name, const std::vector<std::string>& members) {
    const fs::path dir = root_ / "sys/devices/virtual/block" / name;
    fs::create_directories(dir / "holders");
    Link(fs::path("sys/class/block") / name, dir);
    for (const std::string& member : members) {
      Link((dir / "slaves" / member).lexically_relative(root_.path()), BlockDir(member));
      Link((BlockDir(member) / "holders" / name).lexically_relative(root_.path()), dir);
    }
  }
  void Mount(const std::string& device, const std::string& mount_point) {
    Append("proc/self/mountinfo",
           fmt::format("30 1 0:0 / {} rw - ext4 /dev/{} rw\n", mount_point, device));
  }
  void Swap(const std::string& device) {
    Append("proc/swaps", fmt::format("/dev/{}\tpartition\t1000\t0\t-2\n", device));
  }

 private:
  hvagent::testing::TempDir root_{"hvagent-pci-test"};
};

// A host: root on sda (AHCI 00:17.0, its own group), an LSI SAS3008 HBA
// 3b:00.0 alone in group 20 on node 1 with two disks, vfio-pci loaded.
class HandMadeTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.AddDevice("pci0000:00/0000:00:17.0", "8086", "a352", "010601", "ahci", 5);
    tree_.AddDisk("pci0000:00/0000:00:17.0/ata1", "sda", 3);
    tree_.Mount("sda2", "/");
    tree_.Mount("sda1", "/boot/efi");
    tree_.Swap("sda3");
    tree_.AddDevice("pci0000:3a/0000:3a:00.0", "8086", "2030", "060400", "pcieport", 19, 1);
    tree_.AddDevice("pci0000:3a/0000:3a:00.0/0000:3b:00.0", "1000", "0097", "010700", "mpt3sas", 20,
                    1);
    tree_.AddDisk("pci0000:3a/0000:3a:00.0/0000:3b:00.0", "sdb");
    tree_.AddDisk("pci0000:3a/0000:3a:00.0/0000:3b:00.0", "sdc");
    tree_.Write("sys/module/vfio_pci/.keep", "");
  }
  PciInventory Read() {
    auto inventory = ReadPciInventory({tree_.root(), ""});
    EXPECT_TRUE(inventory.ok()) << inventory.status();
    return inventory.ok() ? *std::move(inventory) : PciInventory{};
  }
  FakeSysfs tree_;
};

TEST_F(HandMadeTreeTest, TheHbaIsOfferedAndTheRootControllerIsNot) {
  const PciInventory inventory = Read();
  ASSERT_EQ(inventory.storage_controllers.size(), 2u);
  const StorageController& ahci = inventory.storage_controllers[0];
  EXPECT_FALSE(ahci.assignable);
  EXPECT_THAT(Joined(ahci.not_assignable_reasons),
              AllOf(HasSubstr("sda2 is mounted at /"), HasSubstr("sda1 is mounted at /boot/efi"),
                    HasSubstr("sda3 is swap")));
  const StorageController& hba = inventory.storage_controllers[1];
  EXPECT_TRUE(hba.assignable) << Joined(hba.not_assignable_reasons);
  EXPECT_EQ(hba.device.numa_node, 1);
  auto plan = ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->numa_node, 1);
}

TEST_F(HandMadeTreeTest, IommuOffRefusesEverything) {
  fs::remove_all(fs::path(tree_.root()) / "sys/kernel/iommu_groups");
  const PciInventory inventory = Read();
  EXPECT_FALSE(inventory.iommu_enabled);
  EXPECT_FALSE(inventory.storage_controllers[1].assignable);
  EXPECT_THAT(Joined(inventory.storage_controllers[1].not_assignable_reasons),
              HasSubstr("0000:3b:00.0: the IOMMU is off"));
  auto refused = ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("0000:3b:00.0: the IOMMU is off"));
}

TEST_F(HandMadeTreeTest, VfioPciMissingIsRefused) {
  fs::remove_all(fs::path(tree_.root()) / "sys/module/vfio_pci");
  PciInventory inventory = Read();
  EXPECT_FALSE(inventory.vfio_pci_available);
  auto refused = ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("0000:3b:00.0: vfio-pci is not available"));
  // An installed module counts: libvirt loads it on detach.
  tree_.Write("lib/modules/6.1.0-test/modules.dep",
              "kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/vfio.ko\n");
  auto with_module = ReadPciInventory({tree_.root(), "6.1.0-test"});
  ASSERT_TRUE(with_module.ok());
  EXPECT_TRUE(with_module->vfio_pci_available);
}

TEST_F(HandMadeTreeTest, AMountedMemberIsRefused) {
  tree_.Mount("sdc", "/var/lib/data");
  const PciInventory inventory = Read();
  EXPECT_THAT(Joined(inventory.storage_controllers[1].not_assignable_reasons),
              HasSubstr("0000:3b:00.0: in use by the host: sdc is mounted at /var/lib/data"));
  auto refused = ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("0000:3b:00.0: it is used by the host (sdc is mounted at /var/lib/data)"));
}

TEST_F(HandMadeTreeTest, ASwapMemberIsRefused) {
  tree_.Swap("sdb");
  auto refused = ValidatePassthrough(Read(), {{"0000:3b:00.0", "1000", "0097"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("sdb is swap"));
}

TEST_F(HandMadeTreeTest, AnMdHolderIsRefusedEvenUnmounted) {
  tree_.AddMd("md0", {"sdb", "sdc"});
  const PciInventory inventory = Read();
  EXPECT_THAT(Joined(inventory.storage_controllers[1].not_assignable_reasons),
              HasSubstr("sdb is held by md0"));
  EXPECT_EQ(ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(HandMadeTreeTest, AnMdCarryingRootMakesItsControllerTheHosts) {
  tree_.AddMd("md1", {"sdb", "sdc"});
  tree_.Mount("md1", "/");
  const PciInventory inventory = Read();
  EXPECT_THAT(Joined(inventory.storage_controllers[1].not_assignable_reasons),
              HasSubstr("holds the host's root, boot or swap: md1 is mounted at /"));
}

TEST_F(HandMadeTreeTest, AGroupWithABridgeAndTwoEndpoints) {
  // A second function of the HBA's slot (a management function) and a
  // PCIe switch port share group 20.
  tree_.AddDevice("pci0000:3a/0000:3a:00.0/0000:3b:00.1", "1000", "00ab", "0c0500", "", 20, 1);
  tree_.AddDevice("pci0000:3a/0000:3a:00.0/0000:3b:00.2", "1000", "c010", "060400", "pcieport", 20,
                  1);
  const PciInventory inventory = Read();
  EXPECT_THAT(Names(inventory.storage_controllers[1].group_peers),
              ElementsAre("0000:3b:00.1", "0000:3b:00.2"));
  auto alone = ValidatePassthrough(inventory, {{"0000:3b:00.0", "1000", "0097"}});
  EXPECT_EQ(alone.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(alone.status().message(), HasSubstr("also holds 0000:3b:00.1 (1000:00ab, other)"));
  auto whole = ValidatePassthrough(
      inventory, {{"0000:3b:00.0", "1000", "0097"}, {"0000:3b:00.1", "1000", "00AB"}});
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_THAT(Names(whole->endpoints), ElementsAre("0000:3b:00.0", "0000:3b:00.1"));
}

TEST_F(HandMadeTreeTest, AGroupPeerInUseMakesTheControllerUnassignable) {
  // Another storage controller in the same group holds a mounted disk.
  tree_.AddDevice("pci0000:3a/0000:3a:00.0/0000:3b:00.1", "8086", "a352", "010601", "ahci", 20, 1);
  tree_.AddDisk("pci0000:3a/0000:3a:00.0/0000:3b:00.1", "sdd");
  tree_.Mount("sdd", "/srv");
  const PciInventory inventory = Read();
  EXPECT_THAT(Joined(inventory.storage_controllers[1].not_assignable_reasons),
              HasSubstr("0000:3b:00.0 (its IOMMU group peer 0000:3b:00.1): in use by the host"));
  auto refused = ValidatePassthrough(
      inventory, {{"0000:3b:00.0", "1000", "0097"}, {"0000:3b:00.1", "8086", "a352"}});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("sdd is mounted at /srv"));
}

TEST(PciInventoryErrorsTest, AnUnreadableTreeIsAnError) {
  EXPECT_EQ(ReadPciInventory({"/nonexistent-hvagent-root", ""}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hvagent::pci
