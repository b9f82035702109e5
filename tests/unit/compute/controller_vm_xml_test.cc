// The Controller VM's domain XML: a golden file, libvirt's schema
// (virt-xml-validate), the facts read back, and the spec's validation.
//
// To regenerate the golden file after an intended change:
//   HVAGENT_REGENERATE_GOLDEN=1 build/debug/tests/unit/controller_vm_xml_test
#include "hvagent/compute/controller_vm_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hvagent/common/program_runner.h"
#include "hvagent_test/golden.h"

namespace hvagent::compute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

pci::PciDevice Device(const char* address, uint16_t vendor, uint16_t device, uint32_t class_code) {
  pci::PciDevice d;
  d.address = *pci::PciAddress::Parse(address);
  d.vendor_id = vendor;
  d.device_id = device;
  d.class_code = class_code;
  d.numa_node = 1;
  return d;
}

// Two HBAs sharing IOMMU group 11 (as in the recorded q35 tree) on node 1.
ControllerVmSpec Spec() {
  ControllerVmSpec s;
  s.name = ControllerVmName("host1");
  s.uuid = "5c8e2a40-9a1f-4c1e-8f7e-1a2b3c4d5e6f";
  s.num_vcpus = 4;
  s.memory_bytes = uint64_t{16} << 30;
  s.controllers = {Device("0000:05:01.0", 0x1000, 0x0079, 0x010400),
                   Device("0000:05:02.0", 0x1000, 0x0054, 0x010000)};
  s.endpoints = s.controllers;
  s.numa_node = 1;
  s.numa_node_cpus = "8-15,24-31";
  s.external_mac = "52:54:00:aa:00:01";
  s.internal_mac = "52:54:00:aa:00:02";
  s.system_disk_path = "/var/lib/hvagent/cvm/NTNX-host1-CVM.qcow2";
  return s;
}

TEST(ControllerVmXmlTest, NameFollowsTheConvention) {
  EXPECT_EQ(ControllerVmName("host1"), "NTNX-host1-CVM");
}

TEST(ControllerVmXmlTest, Golden) {
  auto xml = BuildControllerVmXml(Spec());
  ASSERT_TRUE(xml.ok()) << xml.status();
  const std::string path = hvagent::testing::TestDataPath("cvm/ntnx-host1-cvm.xml");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment meanwhile.
  if (std::getenv("HVAGENT_REGENERATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << *xml;
    FAIL() << "regenerated " << path << "; review the diff and run again";
  }
  EXPECT_EQ(*xml, hvagent::testing::ReadTestData("cvm/ntnx-host1-cvm.xml"))
      << "golden file " << path << " (HVAGENT_REGENERATE_GOLDEN=1 rewrites it)";
}

TEST(ControllerVmXmlTest, ValidAgainstLibvirtsSchema) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/virt-xml-validate"))
      << "virt-xml-validate (libvirt-clients) is a build dependency";
  auto result = RunProgram({"/usr/bin/virt-xml-validate",
                            hvagent::testing::TestDataPath("cvm/ntnx-host1-cvm.xml"), "domain"},
                           std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0) << result->output;
}

TEST(ControllerVmXmlTest, ReadsBackWhatItBuilt) {
  auto xml = BuildControllerVmXml(Spec());
  ASSERT_TRUE(xml.ok());
  auto facts = ParseControllerVmXml(*xml);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->name, "NTNX-host1-CVM");
  EXPECT_EQ(facts->num_vcpus, 4u);
  EXPECT_EQ(facts->memory_bytes, uint64_t{16} << 30);
  EXPECT_THAT(facts->hostdev_addresses, ElementsAre("0000:05:01.0", "0000:05:02.0"));
  EXPECT_THAT(facts->controllers, ElementsAre("0000:05:01.0 1000:0079", "0000:05:02.0 1000:0054"));
  EXPECT_THAT(facts->vcpupin_cpusets,
              ElementsAre("8-15,24-31", "8-15,24-31", "8-15,24-31", "8-15,24-31"));
  EXPECT_EQ(facts->numatune_mode, "strict");
  EXPECT_EQ(facts->numatune_nodeset, "1");
  EXPECT_TRUE(facts->memory_locked);
  EXPECT_THAT(facts->bridges, ElementsAre("br0", "virbr0"));
}

TEST(ControllerVmXmlTest, WithoutNumaNothingIsPinned) {
  ControllerVmSpec s = Spec();
  s.numa_node = -1;
  s.numa_node_cpus.clear();
  auto xml = BuildControllerVmXml(s);
  ASSERT_TRUE(xml.ok()) << xml.status();
  auto facts = ParseControllerVmXml(*xml);
  EXPECT_TRUE(facts->vcpupin_cpusets.empty());
  EXPECT_EQ(facts->numatune_mode, "");
  EXPECT_TRUE(facts->memory_locked);
}

TEST(ControllerVmXmlTest, RefusesABadSpecNamingTheField) {
  auto refused = [](auto mutate, const char* field) {
    ControllerVmSpec s = Spec();
    mutate(s);
    auto xml = BuildControllerVmXml(s);
    EXPECT_EQ(xml.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(xml.status().message(), HasSubstr(field));
  };
  refused([](ControllerVmSpec& s) { s.num_vcpus = 0; }, "num_vcpus");
  refused([](ControllerVmSpec& s) { s.memory_bytes = 1000; }, "memory_bytes");
  refused([](ControllerVmSpec& s) { s.endpoints.clear(); }, "storage_controllers");
  refused([](ControllerVmSpec& s) { s.numa_node_cpus.clear(); }, "numa node 1");
}

}  // namespace
}  // namespace hvagent::compute
