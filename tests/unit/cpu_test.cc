// The cpu module's pure parts: CPU XML, domain capabilities, /proc/cpuinfo,
// the baseline's input checks and explanation, over recorded libvirt output
// and the generation fixtures (scripts/make-cpu-fixtures.sh).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "hvagent/cpu/cpu_baseline.h"
#include "hvagent/cpu/cpu_description.h"
#include "hvagent/cpu/domain_capabilities.h"
#include "hvagent/cpu/raw_cpu_facts.h"
#include "hvagent_test/golden.h"

namespace hvagent::cpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ReadTestData;

std::string Host(const std::string& model) {
  std::string xml = ReadTestData("cpu/hosts/" + model + ".xml");
  while (!xml.empty() && xml.back() == '\n') xml.pop_back();
  return xml;
}

TEST(CpuXmlTest, FixturesAreHostCpuDescriptions) {
  for (const char* model : {"Westmere", "SandyBridge", "Haswell-noTSX", "Broadwell-noTSX",
                            "Skylake-Server", "Cascadelake-Server", "EPYC"}) {
    auto cpu = ParseCpuXml(Host(model), "fixture");
    ASSERT_TRUE(cpu.ok()) << model << ": " << cpu.status();
    EXPECT_EQ(cpu->model, model);
    EXPECT_EQ(cpu->vendor, std::string(model) == "EPYC" ? "AMD" : "Intel");
    // The fixture is already in the agent's one form.
    EXPECT_EQ(CpuXml(*cpu), Host(model));
  }
}

TEST(CpuXmlTest, CanonicalFormSortsFeaturesAndKeepsPolicies) {
  auto cpu = ParseCpuXml(
      "<cpu match='exact'>\n  <model fallback='allow'>Haswell-noTSX</model>\n"
      "  <vendor>Intel</vendor>\n  <feature policy='disable' name='x2apic'/>\n"
      "  <feature name='abm'/>\n</cpu>",
      "f");
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  EXPECT_EQ(CpuXml(*cpu),
            "<cpu mode='custom' match='exact'><model fallback='allow'>Haswell-noTSX</model>"
            "<vendor>Intel</vendor><feature policy='require' name='abm'/>"
            "<feature policy='disable' name='x2apic'/></cpu>");
  EXPECT_THAT(RequiredFeatures(*cpu), ElementsAre("abm"));
  EXPECT_THAT(DisabledFeatures(*cpu), ElementsAre("x2apic"));
}

TEST(CpuXmlTest, RefusesWhatIsNotCpuXml) {
  for (const auto& [xml, rule] : std::vector<std::pair<std::string, std::string>>{
           {"not xml at all", "not CPU XML"},
           {"<domain/>", "root element must be <cpu>"},
           {"<cpu><vendor>Intel</vendor></cpu>", "exactly one <model>"},
           {"<cpu mode='host-passthrough'><model>x</model></cpu>", "mode 'host-passthrough'"},
           {"<cpu><model>a b</model></cpu>", "not a CPU model name"},
           {"<cpu><model>x</model><feature policy='maybe' name='ss'/></cpu>", "policy='maybe'"},
           {"<cpu><model>x</model><feature name='ss'/><feature name='ss'/></cpu>",
            "more than once"},
       }) {
    auto cpu = ParseCpuXml(xml, "host_cpu_xmls[4]");
    ASSERT_FALSE(cpu.ok()) << xml;
    EXPECT_EQ(cpu.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cpu.status().message(), HasSubstr("host_cpu_xmls[4]: ")) << xml;
    EXPECT_THAT(cpu.status().message(), HasSubstr(rule)) << xml;
  }
}

TEST(DomainCapabilitiesTest, HostModelAndNamedModelsOfTcg) {
  // Recorded from libvirt 9.0 / QEMU 7.2 TCG on this machine.
  auto offered = ParseDomainCapabilities(ReadTestData("cpu/domcaps-qemu-tcg.xml"));
  ASSERT_TRUE(offered.ok()) << offered.status();
  EXPECT_EQ(CpuXml(offered->host_model) + "\n", ReadTestData("cpu/host-model-qemu-tcg.xml"));
  std::map<std::string, bool> usable;
  for (const NamedCpuModel& m : offered->models) usable[m.name] = m.usable;
  EXPECT_TRUE(usable.at("Westmere"));
  EXPECT_TRUE(usable.at("qemu64"));
  EXPECT_FALSE(usable.at("Skylake-Server"));
  EXPECT_EQ(offered->models.size(), 53u);
}

TEST(DomainCapabilitiesTest, RefusesOtherXml) {
  EXPECT_EQ(ParseDomainCapabilities("<capabilities/>").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDomainCapabilities("<domainCapabilities><cpu><mode name='host-model' "
                                    "supported='no'/></cpu></domainCapabilities>")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RawCpuFactsTest, TwoSocketsWithHyperThreads) {
  std::string cpuinfo;
  for (int i = 0; i < 8; ++i) {
    cpuinfo += fmt::format(
        "processor\t: {}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
        "model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\nstepping\t: 7\n"
        "microcode\t: 0x5003604\nphysical id\t: {}\nsiblings\t: 4\ncpu cores\t: 2\n"
        "flags\t\t: fpu vme\n\n",
        i, i / 4);
  }
  auto facts = ParseCpuInfo(cpuinfo);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(*facts, (RawCpuFacts{.vendor_id = "GenuineIntel",
                                 .model_name = "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
                                 .family = 6,
                                 .model = 85,
                                 .stepping = 7,
                                 .microcode = "0x5003604",
                                 .sockets = 2,
                                 .cores_per_socket = 2,
                                 .threads_per_core = 2,
                                 .logical_cpus = 8}));
  EXPECT_EQ(ParseCpuInfo("nothing: here\n").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RawCpuFactsTest, ReadsUnderRoot) {
  EXPECT_EQ(ReadRawCpuFacts("/nonexistent-root").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto here = ReadRawCpuFacts("/");
  ASSERT_TRUE(here.ok()) << here.status();
  EXPECT_FALSE(here->vendor_id.empty());
  EXPECT_GE(here->logical_cpus, 1u);
}

CpuDescription Cpu(const std::string& model, std::vector<std::string> features) {
  CpuDescription cpu{.model = model, .vendor = "Intel"};
  for (auto& f : features) cpu.features.push_back({.name = std::move(f)});
  return cpu;
}

TEST(ExplainBaselineTest, LowestIsTheHostThatGivesUpNothing) {
  const std::vector<CpuDescription> hosts = {
      Cpu("Skylake-Server", {"avx", "avx2", "avx512f", "sse4.2"}),
      Cpu("Westmere", {"sse4.2"}),
      Cpu("Haswell-noTSX", {"avx", "avx2", "sse4.2"}),
  };
  CpuDescription baseline = Cpu("Westmere", {"sse4.2"});
  baseline.features.push_back({.policy = "disable", .name = "avx"});
  const BaselineExplanation e = ExplainBaseline(hosts, baseline);
  EXPECT_EQ(e.model, "Westmere");
  EXPECT_EQ(e.lowest_host_index, 1u);
  EXPECT_THAT(e.lowest_host_reason, HasSubstr("host 1 (Westmere) keeps every one of its 1"));
  ASSERT_EQ(e.dropped.size(), 3u);
  EXPECT_EQ(e.dropped[0], (HostFeatureDrop{0, "Skylake-Server", {"avx", "avx2", "avx512f"}}));
  EXPECT_EQ(e.dropped[1], (HostFeatureDrop{1, "Westmere", {}}));
  EXPECT_EQ(e.dropped[2], (HostFeatureDrop{2, "Haswell-noTSX", {"avx", "avx2"}}));
}

TEST(ExplainBaselineTest, TiesGoToTheSmallerHostThenTheLowerIndex) {
  const CpuDescription baseline = Cpu("Haswell-noTSX", {"a"});
  EXPECT_EQ(
      ExplainBaseline({Cpu("X", {"a", "b"}), Cpu("Y", {"a", "c"})}, baseline).lowest_host_index,
      0u);
  const BaselineExplanation e =
      ExplainBaseline({Cpu("X", {"a", "b", "z"}), Cpu("Y", {"a", "b"})}, baseline);
  EXPECT_EQ(e.lowest_host_index, 1u);
  EXPECT_THAT(e.lowest_host_reason, HasSubstr("gives up the fewest features (1 of 2)"));
}

TEST(BaselineInputsTest, RefusalsNameTheHostIndex) {
  EXPECT_THAT(ParseBaselineInputs({}).status().message(), HasSubstr("needs 1 to 1024"));
  EXPECT_EQ(ParseBaselineInputs(std::vector<std::string>(1025, Host("Westmere"))).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseBaselineInputs(std::vector<std::string>(1024, Host("Westmere"))).ok());

  auto mixed = ParseBaselineInputs({Host("Westmere"), Host("Haswell-noTSX"), Host("EPYC")});
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mixed.status().message(), HasSubstr("host_cpu_xmls[2]: vendor AMD differs"));

  auto garbage = ParseBaselineInputs({Host("Westmere"), "<domain/>"});
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.status().message(), HasSubstr("host_cpu_xmls[1]: not CPU XML"));

  auto no_vendor = ParseBaselineInputs({"<cpu><model>Westmere</model></cpu>"});
  EXPECT_THAT(no_vendor.status().message(), HasSubstr("host_cpu_xmls[0]: names no <vendor>"));
}

// Answers from a table: each input list (joined) to an expanded CPU.
class TableCpuHypervisor final : public CpuHypervisor {
 public:
  std::map<std::string, std::string> baselines;
  CpuComparison comparison = CpuComparison::kIdentical;
  std::string domcaps;
  int calls = 0;

  StatusOr<std::string> DomainCapabilitiesXml() override { return domcaps; }
  StatusOr<std::string> BaselineExpanded(const std::vector<std::string>& xmls) override {
    ++calls;
    std::string key;
    for (const auto& x : xmls) key += x;
    auto it = baselines.find(key);
    if (it == baselines.end()) return absl::InternalError("unexpected baseline: " + key);
    return it->second;
  }
  StatusOr<CpuComparison> Compare(const std::string&) override { return comparison; }
};

TEST(ComputeBaselineTest, ExpandsEachHostOnceAndExplains) {
  TableCpuHypervisor hv;
  const std::string w = Host("Westmere");
  const std::string s = Host("SandyBridge");
  const std::string w_exp =
      "<cpu><model>Westmere</model><vendor>Intel</vendor>"
      "<feature name='sse4.2'/></cpu>";
  const std::string s_exp =
      "<cpu><model>SandyBridge</model><vendor>Intel</vendor>"
      "<feature name='sse4.2'/><feature name='avx'/></cpu>";
  hv.baselines[w + s + w] = w_exp;
  hv.baselines[w] = w_exp;
  hv.baselines[s] = s_exp;
  auto computed = ComputeBaseline(hv, {w, s, w});
  ASSERT_TRUE(computed.ok()) << computed.status();
  EXPECT_EQ(hv.calls, 3);  // the baseline, then Westmere and SandyBridge once each
  EXPECT_EQ(computed->cpu.model, "Westmere");
  EXPECT_EQ(computed->xml, CpuXml(computed->cpu));
  EXPECT_EQ(computed->explanation.lowest_host_index, 0u);
  EXPECT_THAT(computed->explanation.dropped[1].features, ElementsAre("avx"));
  EXPECT_TRUE(computed->explanation.dropped[2].features.empty());
}

TEST(CheckRunnableTest, NamesWhatTheHostLacks) {
  TableCpuHypervisor hv;
  hv.domcaps = ReadTestData("cpu/domcaps-qemu-tcg.xml");
  const std::string host_model = ReadTestData("cpu/host-model-qemu-tcg.xml");
  hv.baselines[host_model.substr(0, host_model.size() - 1)] =
      "<cpu><model>EPYC</model><vendor>AMD</vendor><feature name='sse4.2'/></cpu>";
  const std::string wanted =
      "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-"
      "Server</model><vendor>Intel</vendor><feature policy='require' "
      "name='avx512f'/><feature policy='require' name='sse4.2'/></cpu>";
  hv.baselines[wanted] = wanted;
  hv.comparison = CpuComparison::kIncompatible;
  auto r = CheckRunnable(hv, wanted);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->runnable);
  EXPECT_THAT(r->missing_features, ElementsAre("avx512f"));
  EXPECT_THAT(r->vendor_mismatch, HasSubstr("Intel, this host offers AMD"));

  hv.comparison = CpuComparison::kSuperset;
  EXPECT_TRUE(CheckRunnable(hv, wanted)->runnable);
}

}  // namespace
}  // namespace hvagent::cpu
