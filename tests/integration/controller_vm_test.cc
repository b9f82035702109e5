// The Controller VM on the testbed's real libvirtd: ControllerVmManager over
// the sysfs tree recorded from a real kernel (tests/unit/testdata/pci/
// q35-recorded) defines NTNX-<host>-CVM; libvirt's own dumpxml is read back
// (hostdev addresses, vcpupin, numatune, locked memory) and autostart is set.
// vfio binding is a fake: this machine has no VFIO hardware (docs/cvm.md says
// how to verify it on a host that has).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "hvagent/compute/controller_vm_manager.h"
#include "hvagent/libvirt/connection.h"
#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/store/database.h"
#include "hvagent_test/golden.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingBinder : public pci::DeviceBinder {
 public:
  Status Detach(const pci::PciAddress& a) override {
    detached.push_back(a.ToString());
    return absl::OkStatus();
  }
  Status Reattach(const pci::PciAddress& a) override {
    reattached.push_back(a.ToString());
    return absl::OkStatus();
  }
  std::vector<std::string> detached, reattached;
};

TEST(ControllerVmTest, DefinedOnRealLibvirtPinnedWithAutostart) {
  auto bed = StartOrFail<Testbed>();
  ASSERT_NE(bed, nullptr);
  libvirt::ConnectionManager libvirt({.uri = bed->libvirt_uri()}, nullptr);
  compute::LibvirtControllerVmDomains domains(libvirt);
  auto db = store::Database::Open(bed->state_dir() + "/cvm-test.db");
  ASSERT_TRUE(db.ok()) << db.status();
  store::PassthroughStore records(**db);
  RecordingBinder vfio;
  compute::PassthroughBinder binder(records, vfio);
  compute::ControllerVmOptions options;
  options.host_name = "testhost";
  options.sysfs.root = TestDataPath("pci/q35-recorded");
  options.backup_dir = bed->state_dir() + "/cvm";
  options.domain_type = "qemu";  // /dev/kvm is unusable here
  compute::ControllerVmManager manager(options, domains, binder);

  auto configured = manager.Configure({.controllers = {{"0000:81:00.0", "1b36", "0010"}},
                                       .num_vcpus = 2,
                                       .memory_bytes = uint64_t{512} << 20});
  ASSERT_TRUE(configured.ok()) << configured.status();
  EXPECT_THAT(vfio.detached, ElementsAre("0000:81:00.0"));

  // libvirt's own view, not ours.
  auto conn = libvirt::Connection::Open(bed->libvirt_uri());
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto dom = (*conn)->LookupDomainByName("NTNX-testhost-CVM");
  ASSERT_TRUE(dom.ok()) << dom.status();
  auto xml = dom->PersistentXml();
  ASSERT_TRUE(xml.ok()) << xml.status();
  auto facts = compute::ParseControllerVmXml(*xml);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_THAT(facts->hostdev_addresses, ElementsAre("0000:81:00.0"));
  EXPECT_THAT(facts->vcpupin_cpusets, ElementsAre("1", "1"));  // node 1's CPUs
  EXPECT_EQ(facts->numatune_mode, "strict");
  EXPECT_EQ(facts->numatune_nodeset, "1");
  EXPECT_TRUE(facts->memory_locked);
  EXPECT_THAT(facts->bridges, ElementsAre("br0", "virbr0"));
  EXPECT_THAT(facts->controllers, ElementsAre("0000:81:00.0 1b36:0010"));
  EXPECT_THAT(*xml, HasSubstr("managed='yes'"));
  auto autostart = dom->Autostart();
  ASSERT_TRUE(autostart.ok()) << autostart.status();
  EXPECT_TRUE(*autostart);
  EXPECT_TRUE(std::filesystem::exists(bed->state_dir() + "/cvm/NTNX-testhost-CVM.xml"));

  auto status = manager.Get();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(status->defined);
  EXPECT_EQ(status->state, "shut-off");
  EXPECT_TRUE(status->autostart);

  // libvirt accepts the definition of a hostdev at an address this machine
  // does not have; starting it is what fails. (Only tried when the address
  // really is absent: a managed hostdev would take a real device off the host.)
  ASSERT_FALSE(std::filesystem::exists("/sys/bus/pci/devices/0000:81:00.0"));
  const Status started = dom->Start();
  EXPECT_FALSE(started.ok());
  // Measured with libvirt 9.0: "unsupported configuration: host doesn't support
  // VFIO PCI passthrough" (no IOMMU here), before any device is looked up.
  EXPECT_THAT(started.message(), HasSubstr("VFIO"));

  // The real detach goes through libvirt's node devices: an address this
  // machine does not have is named in the error (never tried on a real one:
  // it would take the device from the host).
  const Status detach = domains.Detach(*pci::PciAddress::Parse("0000:81:00.0"));
  EXPECT_EQ(detach.code(), absl::StatusCode::kNotFound) << detach;
  EXPECT_THAT(detach.message(), HasSubstr("pci_0000_81_00_0"));

  // Reconfiguring goes through the same validation: the boot controller is refused.
  auto refused = manager.Configure({.controllers = {{"0000:01:00.0", "1af4", "1048"}},
                                    .num_vcpus = 2,
                                    .memory_bytes = uint64_t{512} << 20});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(dom->SetAutostart(false).ok());
  EXPECT_TRUE(dom->Undefine().ok());
}

}  // namespace
}  // namespace hvagent::testing
