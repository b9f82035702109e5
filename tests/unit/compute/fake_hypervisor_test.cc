// The fake hypervisor keeps libvirt's rules: tests of VmManager against it
// mean something only while it does.
#include "hvagent_test/fake_hypervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hvagent::testing {
namespace {

using compute::DomainState;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kXml[] = R"(<domain type='qemu'>
  <name>vm1</name>
  <uuid>6f1c0b5e-3b9a-4f0e-8d2c-1a2b3c4d5e6f</uuid>
  <devices>
    <disk type='file' device='disk'><target dev='sda' bus='scsi'/></disk>
    <interface type='ethernet'><mac address='52:54:00:00:00:01'/></interface>
  </devices>
</domain>)";

constexpr char kNic2[] =
    "<interface type='ethernet'><mac address='52:54:00:00:00:02'/></interface>";

TEST(FakeHypervisorTest, DomainsMoveBetweenStatesAsLibvirtsDo) {
  FakeHypervisor fake;
  auto defined = fake.DefineDomain(kXml);
  ASSERT_TRUE(defined.ok()) << defined.status();
  auto& domain = **defined;
  EXPECT_EQ(*domain.State(), DomainState::kShutOff);
  EXPECT_EQ(*domain.Uuid(), "6f1c0b5e-3b9a-4f0e-8d2c-1a2b3c4d5e6f");
  EXPECT_EQ(*domain.PersistentXml(), kXml);
  // Off: nothing live to change.
  EXPECT_EQ(domain.Destroy().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain.Suspend().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain.AttachLiveDevice(kNic2).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(domain.LiveMetadata("urn:x").status().code(), absl::StatusCode::kFailedPrecondition);

  // Running with the definition's devices; hot-plug adds, unplug removes.
  ASSERT_TRUE(domain.Start().ok());
  EXPECT_EQ(domain.Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(fake.Find("vm1")->live_devices,
              ElementsAre("disk sda", "interface 52:54:00:00:00:01"));
  ASSERT_TRUE(domain.AttachLiveDevice(kNic2).ok());
  EXPECT_FALSE(domain.AttachLiveDevice(kNic2).ok());
  ASSERT_TRUE(domain.DetachLiveDevice(kNic2).ok());
  EXPECT_FALSE(domain.DetachLiveDevice(kNic2).ok());
  ASSERT_TRUE(domain.SetLiveMetadata("<x/>", "x", "urn:x").ok());
  EXPECT_EQ(**domain.LiveMetadata("urn:x"), "<x/>");
  ASSERT_TRUE(domain.Suspend().ok());
  EXPECT_EQ(*domain.State(), DomainState::kPaused);
  ASSERT_TRUE(domain.Shutdown().ok());  // a paused guest cannot answer
  EXPECT_EQ(*domain.State(), DomainState::kPaused);
  ASSERT_TRUE(domain.Resume().ok());

  // Undefined while running: transient, gone when it stops.
  ASSERT_TRUE(domain.Undefine().ok());
  EXPECT_FALSE(fake.Find("vm1")->persistent);
  ASSERT_TRUE(domain.Destroy().ok());
  EXPECT_THAT(fake.DomainNames(), IsEmpty());
  EXPECT_EQ(domain.State().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fake.LookupDomain("vm1").status().code(), absl::StatusCode::kNotFound);

  // Undefined while off: gone at once; a run's live state ends with it.
  ASSERT_TRUE(fake.DefineDomain(kXml).ok());
  auto again = fake.LookupDomain("vm1");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Start().ok());
  ASSERT_TRUE((*again)->SetLiveMetadata("<x/>", "x", "urn:x").ok());
  ASSERT_TRUE((*again)->Shutdown().ok());
  EXPECT_EQ(*(*again)->State(), DomainState::kShutOff);
  EXPECT_TRUE(fake.Find("vm1")->live_metadata.empty());
  ASSERT_TRUE((*again)->Undefine().ok());
  EXPECT_THAT(fake.DomainNames(), IsEmpty());
}

TEST(FakeHypervisorTest, RedefinitionKeepsTheUuidAndANameIsOneDomainsOnly) {
  FakeHypervisor fake;
  ASSERT_TRUE(fake.DefineDomain(kXml).ok());
  ASSERT_TRUE((*fake.LookupDomain("vm1"))->Start().ok());
  std::string changed = kXml;
  changed.replace(changed.find("scsi"), 4, "sata");
  ASSERT_TRUE(fake.DefineDomain(changed).ok());
  EXPECT_EQ(fake.Find("vm1")->xml, changed);
  EXPECT_EQ(fake.Find("vm1")->state, DomainState::kRunning);

  std::string other = kXml;
  other.replace(other.find("6f1c0b5e"), 8, "00000000");
  EXPECT_EQ(fake.DefineDomain(other).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(fake.DomainNames(), ElementsAre("vm1"));
}

TEST(FakeHypervisorTest, InjectedFailuresComeAfterTheirSuccessesAndUntilHealed) {
  FakeHypervisor fake;
  fake.Fail("DefineDomain", absl::InternalError("no"), /*after=*/1);
  EXPECT_TRUE(fake.DefineDomain(kXml).ok());
  EXPECT_EQ(fake.DefineDomain(kXml).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(fake.DefineDomain(kXml).status().code(), absl::StatusCode::kInternal);
  fake.Heal("DefineDomain");
  EXPECT_TRUE(fake.DefineDomain(kXml).ok());

  fake.Fail("Start", absl::UnavailableError("gone"));
  EXPECT_EQ((*fake.LookupDomain("vm1"))->Start().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake.Find("vm1")->state, DomainState::kShutOff);
  EXPECT_THAT(fake.Calls(), ElementsAre("DefineDomain vm1", "DefineDomain vm1", "DefineDomain vm1",
                                        "DefineDomain vm1", "LookupDomain vm1", "Start vm1"));
}

}  // namespace
}  // namespace hvagent::testing
