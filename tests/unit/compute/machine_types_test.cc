// Machine types from libvirt's capabilities, and the check of a VM's
// spec.machine_type against them.
#include "hvagent/compute/machine_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hvagent::compute {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// As QEMU 7.2's libvirt reports it (shortened): machines under <arch> and
// under a domain type of their own; an i686 guest whose machines are not
// the x86_64 guest's.
constexpr char kCapabilities[] = R"(<capabilities>
  <host><uuid>00000000-0000-0000-0000-000000000001</uuid></host>
  <guest>
    <os_type>hvm</os_type>
    <arch name='i686'>
      <machine maxCpus='255'>pc-i440fx-2.0</machine>
      <domain type='qemu'/>
    </arch>
  </guest>
  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
      <machine maxCpus='288'>pc-q35-7.2</machine>
      <machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>
      <domain type='qemu'/>
      <domain type='kvm'>
        <machine maxCpus='1024'>pc-q35-7.1</machine>
      </domain>
    </arch>
  </guest>
</capabilities>)";

TEST(MachineTypesTest, AreTheX86GuestsNamesAndCanonicalNames) {
  auto types = MachineTypesOf(kCapabilities);
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_THAT(*types, ElementsAre("pc", "pc-i440fx-7.2", "pc-q35-7.1", "pc-q35-7.2", "q35"));
}

TEST(MachineTypesTest, ACapabilitiesDocumentWithoutThemGivesNone) {
  auto types = MachineTypesOf("<capabilities><host/></capabilities>");
  ASSERT_TRUE(types.ok());
  EXPECT_THAT(*types, IsEmpty());
  EXPECT_FALSE(MachineTypesOf("<capabilities").ok());
}

TEST(MachineTypesTest, AnUnknownMachineTypeIsRefusedNamingTheFieldAndTheAliases) {
  const std::vector<std::string> known = *MachineTypesOf(kCapabilities);
  EXPECT_TRUE(CheckMachineType("spec.machine_type", "q35", known).ok());
  EXPECT_TRUE(CheckMachineType("spec.machine_type", "pc-q35-7.1", known).ok());
  const Status s = CheckMachineType("spec.machine_type", "nonexistent-9.9", known);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("spec.machine_type: 'nonexistent-9.9' is not a machine type this host's "
                        "QEMU offers (it has 5 of them: pc, q35"));
  // A hypervisor that lists none cannot tell: nothing is refused on it.
  EXPECT_TRUE(CheckMachineType("spec.machine_type", "nonexistent-9.9", {}).ok());
}

}  // namespace
}  // namespace hvagent::compute
