// The CPU report and baseline as hvagent.v1 messages.
#include "hvagent/api/cpu_convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

using ::testing::ElementsAre;

cpu::CpuDescription Cpu() {
  return {.model = "Haswell-noTSX",
          .vendor = "Intel",
          .features = {{.policy = "require", .name = "abm"},
                       {.policy = "disable", .name = "x2apic"},
                       {.policy = "force", .name = "aes"}}};
}

TEST(CpuConvertTest, HostCpuCarriesOfferedRawAndModels) {
  compute::HostCpuReport report;
  report.offered.host_model = Cpu();
  report.offered.models = {{.name = "Westmere", .vendor = "Intel", .usable = true},
                           {.name = "EPYC", .vendor = "AMD", .usable = false}};
  report.cpu_xml = cpu::CpuXml(Cpu());
  report.raw = {.vendor_id = "GenuineIntel",
                .family = 6,
                .model = 85,
                .stepping = 7,
                .microcode = "0x5003604",
                .sockets = 2,
                .cores_per_socket = 20,
                .threads_per_core = 2,
                .logical_cpus = 80};
  v1::HostCpu out;
  HostCpuToProto(report, &out);
  EXPECT_EQ(out.offered().model(), "Haswell-noTSX");
  EXPECT_EQ(out.offered().vendor(), "Intel");
  EXPECT_THAT(out.offered().required_features(), ElementsAre("abm", "aes"));
  EXPECT_THAT(out.offered().disabled_features(), ElementsAre("x2apic"));
  EXPECT_EQ(out.libvirt_cpu_xml(), report.cpu_xml);
  EXPECT_EQ(out.raw().vendor_id(), "GenuineIntel");
  EXPECT_EQ(out.raw().model(), 85u);
  EXPECT_EQ(out.raw().microcode(), "0x5003604");
  EXPECT_EQ(out.raw().logical_cpus(), 80u);
  ASSERT_EQ(out.models_size(), 2);
  EXPECT_TRUE(out.models(0).usable());
  EXPECT_EQ(out.models(1).vendor(), "AMD");
}

TEST(CpuConvertTest, BaselineCarriesItsExplanationAndWhereItRuns) {
  cpu::ComputedBaseline computed{.cpu = Cpu(), .xml = cpu::CpuXml(Cpu())};
  computed.explanation = {
      .model = "Haswell-noTSX",
      .lowest_host_index = 1,
      .lowest_host_reason = "why",
      .dropped = {{0, "Skylake-Server", {"avx512f"}}, {1, "Haswell-noTSX", {}}}};
  v1::CpuBaseline out;
  ComputedBaselineToProto(computed, &out);
  EXPECT_EQ(out.explanation().lowest_host_index(), 1u);
  EXPECT_EQ(out.explanation().lowest_host_reason(), "why");
  ASSERT_EQ(out.explanation().dropped_size(), 2);
  EXPECT_THAT(out.explanation().dropped(0).features(), ElementsAre("avx512f"));
  EXPECT_EQ(out.explanation().dropped(0).host_model(), "Skylake-Server");

  compute::CpuBaselineState state{.cpu = Cpu(), .xml = computed.xml, .set_unix_ms = 1500};
  state.here = {.runnable = false, .missing_features = {"avx2"}, .vendor_mismatch = "v"};
  v1::CpuBaseline set;
  BaselineStateToProto(state, &set);
  EXPECT_FALSE(set.supported_here());
  EXPECT_THAT(set.missing_features(), ElementsAre("avx2"));
  EXPECT_EQ(set.vendor_mismatch(), "v");
  EXPECT_EQ(set.set_time().seconds(), 1);
  EXPECT_EQ(set.set_time().nanos(), 500000000);
}

}  // namespace
}  // namespace hvagent::api
