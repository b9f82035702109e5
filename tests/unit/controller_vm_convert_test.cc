// HostService's PCI and Controller VM conversions: the recorded q35 tree to
// ListPciDevicesResponse, request shapes refused with the field named, and a
// CVM status to ControllerVm.
#include "hvagent/api/controller_vm_convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/pci/sysfs_inventory.h"
#include "hvagent_test/golden.h"

namespace hvagent::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

pci::PciInventory Recorded() {
  auto inventory = pci::ReadPciInventory({hvagent::testing::TestDataPath("pci/q35-recorded"), ""});
  EXPECT_TRUE(inventory.ok()) << inventory.status();
  return inventory.ok() ? *inventory : pci::PciInventory{};
}

TEST(ControllerVmConvertTest, StorageControllersFirstWithTheirDisksAndReasons) {
  v1::ListPciDevicesResponse response;
  PciInventoryToProto(Recorded(), "storage", &response);
  EXPECT_TRUE(response.iommu_enabled());
  EXPECT_TRUE(response.vfio_pci_available());
  ASSERT_EQ(response.devices_size(), 7);
  const v1::PciDevice& boot = response.devices(1);
  EXPECT_EQ(boot.address(), "0000:01:00.0");
  EXPECT_EQ(boot.vendor_id(), "1af4");
  EXPECT_EQ(boot.device_id(), "1048");
  EXPECT_EQ(boot.device_class(), "storage");
  EXPECT_EQ(boot.class_code(), "010000");
  EXPECT_EQ(boot.driver(), "virtio-pci");
  EXPECT_EQ(boot.iommu_group(), 8);
  EXPECT_EQ(boot.numa_node(), -1);
  EXPECT_FALSE(boot.assignable());
  EXPECT_THAT(boot.not_assignable_reason(), HasSubstr("root, boot or swap"));
  ASSERT_EQ(boot.block_devices_size(), 1);
  EXPECT_EQ(boot.block_devices(0).name(), "sda");
  EXPECT_THAT(boot.block_devices(0).host_uses(),
              ElementsAre("sda1 is mounted at /boot", "sda2 is swap"));
  const v1::PciDevice& mega = response.devices(4);
  EXPECT_EQ(mega.address(), "0000:05:01.0");
  EXPECT_TRUE(mega.assignable());
  EXPECT_THAT(mega.iommu_group_peers(), ElementsAre("0000:04:00.0", "0000:05:02.0"));
}

TEST(ControllerVmConvertTest, OtherClassesAreListedButNeverAssignable) {
  v1::ListPciDevicesResponse response;
  PciInventoryToProto(Recorded(), "bridge", &response);
  ASSERT_GT(response.devices_size(), 0);
  for (const v1::PciDevice& d : response.devices()) {
    EXPECT_EQ(d.device_class(), "bridge");
    EXPECT_FALSE(d.assignable());
    EXPECT_THAT(d.not_assignable_reason(), HasSubstr("bridges are never passed through"));
  }
  EXPECT_TRUE(ValidatePciClassFilter("").ok());
  EXPECT_EQ(ValidatePciClassFilter("gpu").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ControllerVmConvertTest, RequestShapeIsCheckedNamingTheField) {
  v1::ConfigureControllerVmRequest request;
  auto* c = request.add_storage_controllers();
  c->set_address("0000:81:00.0");
  c->set_vendor_id("1b36");
  c->set_device_id("0010");
  request.set_num_vcpus(4);
  request.set_memory_bytes(uint64_t{8} << 30);
  auto ok = ControllerVmRequestFromProto(request, "NTNX-h-CVM");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->controllers[0].address, "0000:81:00.0");

  auto refused = [&](auto mutate, const char* field) {
    v1::ConfigureControllerVmRequest bad = request;
    mutate(bad);
    auto converted = ControllerVmRequestFromProto(bad, "NTNX-h-CVM");
    EXPECT_EQ(converted.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(converted.status().message(), HasSubstr(field));
  };
  refused([](auto& r) { r.set_name("other"); }, "name");
  refused([](auto& r) { r.set_num_vcpus(0); }, "num_vcpus");
  refused([](auto& r) { r.set_memory_bytes(12345); }, "memory_bytes");
  refused([](auto& r) { r.clear_storage_controllers(); }, "storage_controllers");
  refused([](auto& r) { r.mutable_storage_controllers(0)->set_address("81:00.0"); },
          "storage_controllers[0].address");
}

TEST(ControllerVmConvertTest, StatusShowsPinningAndTheInternalAddress) {
  compute::ControllerVmStatus status;
  status.name = "NTNX-h-CVM";
  v1::ControllerVm undefined;
  ControllerVmStatusToProto(status, &undefined);
  EXPECT_FALSE(undefined.defined());
  EXPECT_EQ(undefined.internal_address(), "192.168.5.254");
  status.defined = true;
  status.state = "running";
  status.autostart = true;
  status.facts.uuid = "u";
  status.facts.num_vcpus = 2;
  status.facts.memory_bytes = uint64_t{4} << 30;
  status.facts.numatune_nodeset = "1";
  status.facts.vcpupin_cpusets = {"8-15", "8-15"};
  status.facts.hostdev_addresses = {"0000:81:00.0"};
  v1::ControllerVm shown;
  ControllerVmStatusToProto(status, &shown);
  EXPECT_TRUE(shown.defined());
  EXPECT_EQ(shown.state(), "running");
  EXPECT_EQ(shown.numa_node(), 1);
  EXPECT_EQ(shown.vcpu_cpuset(), "8-15");
  EXPECT_THAT(shown.passed_endpoints(), ElementsAre("0000:81:00.0"));
}

}  // namespace
}  // namespace hvagent::api
