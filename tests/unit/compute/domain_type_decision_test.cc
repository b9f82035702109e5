// The domain-type decision on its own: every outcome of the probe guest's run
// and every compute.domain_type spelling (the runs themselves are in
// tests/integration/domain_type_test.cc, against a real libvirtd).
#include <gtest/gtest.h>

#include <optional>

#include "hvagent/compute/domain_type_probe.h"
#include "hvagent/compute/domain_type_selector.h"

namespace hvagent::compute {
namespace {

using namespace std::chrono_literals;

ProbeRun ProbeResult(ProbeRun::Outcome outcome, std::chrono::milliseconds elapsed,
                     std::string error = "") {
  return {.outcome = outcome, .elapsed = elapsed, .error = std::move(error)};
}

// One row: what libvirt offers and what the probe guest did, and the decision.
struct DecisionCase {
  const char* name;
  bool kvm_offered;
  std::optional<ProbeRun> run;
  DomainType type;
  const char* reason;
};

class DomainTypeDecisionTest : public ::testing::TestWithParam<DecisionCase> {};

TEST_P(DomainTypeDecisionTest, TypeAndReason) {
  const DecisionCase& c = GetParam();
  const DomainTypeChoice choice = DecideDomainType(c.kvm_offered, c.run, 3000ms);
  EXPECT_EQ(choice.type, c.type);
  EXPECT_EQ(choice.reason, c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    EveryOutcome, DomainTypeDecisionTest,
    ::testing::Values(
        DecisionCase{"NoKvmOfferedMeansQemuWithoutARun", false, std::nullopt, DomainType::kQemu,
                     "qemu: libvirt offers no KVM for x86_64 guests on this host"},
        DecisionCase{"KvmOnlyWhenTheGuestFinishedItsWork", true,
                     ProbeResult(ProbeRun::Outcome::kRan, 420ms), DomainType::kKvm,
                     "kvm: a 64-bit guest ran under KVM in 0.42 s"},
        // The nested host of the field notes: long mode is entered, then the guest crawls.
        DecisionCase{"LongModeAloneIsNoProof", true,
                     ProbeResult(ProbeRun::Outcome::kLongModeOnly, 3010ms), DomainType::kQemu,
                     "qemu: KVM offered but a 64-bit guest did not run within 3 s (it reached "
                     "long mode, then ran too slowly to finish)"},
        DecisionCase{"SilentGuestMeansQemu", true, ProbeResult(ProbeRun::Outcome::kSilent, 3000ms),
                     DomainType::kQemu,
                     "qemu: KVM offered but a 64-bit guest did not run within 3 s"},
        DecisionCase{
            "GuestThatDoesNotStartMeansQemuWithLibvirtsWords", true,
            ProbeResult(ProbeRun::Outcome::kNotStarted, 5ms, "Could not access KVM kernel module"),
            DomainType::kQemu,
            "qemu: KVM offered but a guest does not start under it: Could not access "
            "KVM kernel module"}),
    [](const ::testing::TestParamInfo<DecisionCase>& row) { return row.param.name; });

TEST(DomainTypeSettingTest, ParsesTheThreeSpellingsAndNamesTheKeyOtherwise) {
  EXPECT_EQ(*ParseDomainTypeSetting("auto", "k"), DomainTypeSetting::kAuto);
  EXPECT_EQ(*ParseDomainTypeSetting("kvm", "k"), DomainTypeSetting::kKvm);
  EXPECT_EQ(*ParseDomainTypeSetting("qemu", "k"), DomainTypeSetting::kQemu);
  auto bad = ParseDomainTypeSetting("KVM", "compute.domain_type");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "compute.domain_type 'KVM' must be auto (probe), kvm (require KVM) or qemu (TCG, no "
            "probe)");
}

TEST(ProbeImageTest, IsAMultibootImageTheAgentCarries) {
  const std::string_view image = LongModeProbeImage();
  ASSERT_GE(image.size(), 32u);
  EXPECT_LT(image.size(), 8192u) << "QEMU looks for the header in the first 8 KiB";
  // Multiboot v1 magic, little-endian, at offset 0 (4-byte aligned).
  EXPECT_EQ(image.substr(0, 4), std::string_view("\x02\xb0\xad\x1b", 4));
  EXPECT_NE(image.find("hvagent-probe: ok"), std::string_view::npos);
}

}  // namespace
}  // namespace hvagent::compute
