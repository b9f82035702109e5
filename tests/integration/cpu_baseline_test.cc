// The host CPU report and the cluster CPU baseline against a real libvirtd
// (QEMU driver, TCG here) through a real hvagentd: baselines of the
// generation fixtures (scripts/make-cpu-fixtures.sh), the refusals, a
// baseline set, replayed, kept across a restart and published, and guests
// held to it — visible in their live XML and in their own /proc/cpuinfo.
// One testbed and one agent for the whole suite; tests run in order.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "event_watch.h"
#include "guest_vm_request.h"
#include "hvagent/libvirt/connection.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Oldest first: the order the baseline must respect.
constexpr std::array<const char*, 6> kIntelGenerations = {"Westmere",       "SandyBridge",
                                                          "Haswell-noTSX",  "Broadwell-noTSX",
                                                          "Skylake-Server", "Cascadelake-Server"};

std::string Fixture(const std::string& model) {
  std::ifstream in(SourceDir() + "/tests/unit/testdata/cpu/hosts/" + model + ".xml");
  std::stringstream text;
  text << in.rdbuf();
  std::string xml = text.str();
  while (!xml.empty() && xml.back() == '\n') xml.pop_back();
  return xml;
}

// `cpu_xml` with `feature` disabled (and any other mention of it removed).
std::string WithDisabled(const std::string& cpu_xml, const std::string& feature) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(cpu_xml.c_str()));
  pugi::xml_node cpu = doc.document_element();
  for (pugi::xml_node f = cpu.child("feature"); f;) {
    pugi::xml_node next = f.next_sibling("feature");
    if (feature == f.attribute("name").value()) cpu.remove_child(f);
    f = next;
  }
  pugi::xml_node disabled = cpu.append_child("feature");
  disabled.append_attribute("policy") = "disable";
  disabled.append_attribute("name") = feature.c_str();
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

class CpuBaselineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartTestbedWithBr0OrFail();
    ASSERT_NE(bed_, nullptr);
    state_dir_ = "/tmp/hvagent-cputest." + std::to_string(getpid());
    agent_ = StartAgentOrFail(AgentOnTestbed(*bed_, {}, state_dir_));
    ASSERT_NE(agent_, nullptr);
  }
  static void TearDownTestSuite() {
    if (agent_ != nullptr) DeleteEveryVm(*v1::VmService::NewStub(agent_->Channel()));
    agent_.reset();
    bed_.reset();
    std::filesystem::remove_all(state_dir_);
  }
  void SetUp() override {
    ASSERT_NE(bed_, nullptr);
    ASSERT_NE(agent_, nullptr);
  }

  static std::unique_ptr<v1::HostService::Stub> host() {
    return v1::HostService::NewStub(agent_->Channel());
  }
  static std::unique_ptr<v1::VmService::Stub> vms() {
    return v1::VmService::NewStub(agent_->Channel());
  }

  static grpc::Status Compute(const std::vector<std::string>& xmls, v1::CpuBaseline* out) {
    v1::ComputeCpuBaselineRequest req;
    for (const auto& x : xmls) req.add_host_cpu_xmls(x);
    return host()->ComputeCpuBaseline(Ctx().get(), req, out);
  }

  static grpc::Status Set(const std::string& request_id, const std::string& xml,
                          v1::CpuBaseline* out) {
    v1::SetCpuBaselineRequest req;
    req.set_request_id(request_id);
    req.set_libvirt_cpu_xml(xml);
    return host()->SetCpuBaseline(Ctx().get(), req, out);
  }

  // A VM booting the test guest, no NIC, that prints its CPU flags between
  // brackets and then idles.
  static v1::Vm CreateFlagsVm(const std::string& name) {
    const v1::CreateVmRequest req = GuestVmRequest(
        name, "echo \"FLAGS=[ $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) ]\"; sleep 600");
    v1::Vm vm;
    const grpc::Status s = vms()->CreateVm(Ctx().get(), req, &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return vm;
  }

  static v1::Vm PowerOn(const std::string& name) {
    v1::VmPowerRequest req;
    req.set_name(name);
    v1::Vm vm;
    const grpc::Status s = vms()->PowerOn(Ctx(60).get(), req, &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return vm;
  }

  static v1::Vm GetVm(const std::string& name) {
    v1::GetVmRequest req;
    req.set_name(name);
    v1::Vm vm;
    const grpc::Status s = vms()->GetVm(Ctx().get(), req, &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return vm;
  }

  // The guest's CPU flags line, padded with spaces; empty on timeout.
  static std::string GuestFlags(const v1::Vm& vm) {
    std::string flags;
    Eventually(
        [&] {
          const std::string console = ReadFile(vm.console_log_path());
          const size_t at = console.find("FLAGS=[");
          const size_t end = console.find(']', at);
          if (at == std::string::npos || end == std::string::npos) return false;
          flags = console.substr(at + 6, end - at - 5);
          return true;
        },
        "the guest's CPU flags on its console", std::chrono::seconds(120));
    return flags;
  }

  static std::string LiveXml(const std::string& name) {
    auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return "";
    auto domain = (*conn)->LookupDomainByName(name);
    EXPECT_TRUE(domain.ok()) << domain.status();
    if (!domain.ok()) return "";
    auto xml = domain->XmlDesc(0);
    return xml.ok() ? *xml : "";
  }

  inline static std::unique_ptr<Testbed> bed_;
  inline static std::unique_ptr<AgentProcess> agent_;
  inline static std::string state_dir_;
};

TEST_F(CpuBaselineTest, HostCpuIsWhatTheHypervisorOffersPlusTheRawFacts) {
  v1::HostCpu cpu;
  const grpc::Status s = host()->GetHostCpu(Ctx().get(), {}, &cpu);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(cpu.offered().model().empty());
  EXPECT_FALSE(cpu.offered().vendor().empty());
  EXPECT_THAT(cpu.libvirt_cpu_xml(), HasSubstr("<cpu mode='custom' match='exact'>"));
  EXPECT_THAT(cpu.libvirt_cpu_xml(), HasSubstr(">" + cpu.offered().model() + "</model>"));
  const std::string cpuinfo = ReadFile("/proc/cpuinfo");
  EXPECT_THAT(cpuinfo, HasSubstr("vendor_id\t: " + cpu.raw().vendor_id()));
  EXPECT_GE(cpu.raw().logical_cpus(), 1u);
  EXPECT_GE(cpu.raw().family(), 1u);
  bool qemu64_usable = false;
  for (const auto& m : cpu.models()) qemu64_usable |= m.name() == "qemu64" && m.usable();
  EXPECT_TRUE(qemu64_usable);
  std::cerr << "host CPU: offered " << cpu.offered().model() << " (" << cpu.offered().vendor()
            << "), raw " << cpu.raw().vendor_id() << " family " << cpu.raw().family() << " model "
            << cpu.raw().model() << " stepping " << cpu.raw().stepping() << "\n";
}

TEST_F(CpuBaselineTest, TheBaselineOfAnySubsetIsItsLowest) {
  const size_t n = kIntelGenerations.size();
  int subsets = 0;
  for (unsigned mask = 1; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) < 2) continue;
    // Newest first, so that the lowest is never simply the first input.
    std::vector<size_t> members;
    for (size_t g = n; g-- > 0;) {
      if (mask & (1u << g)) members.push_back(g);
    }
    std::vector<std::string> xmls;
    xmls.reserve(members.size());
    for (size_t g : members) xmls.push_back(Fixture(kIntelGenerations[g]));
    v1::CpuBaseline baseline;
    const grpc::Status s = Compute(xmls, &baseline);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++subsets;
    const size_t lowest = members.size() - 1;  // the oldest generation, listed last
    const auto& e = baseline.explanation();
    std::string subset;
    for (size_t g : members) subset += std::string(kIntelGenerations[g]) + " ";
    EXPECT_EQ(e.lowest_host_index(), lowest) << subset << "→ " << e.lowest_host_reason();
    ASSERT_EQ(e.dropped_size(), static_cast<int>(members.size()));
    // The lowest keeps all it has; every newer host gives something up.
    EXPECT_EQ(e.dropped(lowest).features_size(), 0) << subset;
    for (size_t i = 0; i < lowest; ++i) {
      EXPECT_GT(e.dropped(i).features_size(), 0) << subset << ": host " << i;
    }
    EXPECT_EQ(baseline.cpu().vendor(), "Intel");
    EXPECT_THAT(baseline.libvirt_cpu_xml(), HasSubstr("<cpu mode='custom' match='exact'>"));
  }
  EXPECT_EQ(subsets, 57);
}

TEST_F(CpuBaselineTest, RefusalsNameTheHostIndex) {
  v1::CpuBaseline out;
  grpc::Status s = Compute({Fixture("Westmere"), Fixture("Haswell-noTSX"), Fixture("EPYC")}, &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("host_cpu_xmls[2]: vendor AMD differs"));

  s = Compute({Fixture("Westmere"), "<domain type='kvm'/>"}, &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("host_cpu_xmls[1]: not CPU XML"));

  s = Compute({}, &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("host_cpu_xmls"));
  s = Compute(std::vector<std::string>(1025, Fixture("Westmere")), &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("has 1025"));
}

TEST_F(CpuBaselineTest, ABaselineThisHostCannotRunIsRefusedNamingTheFeatures) {
  v1::CpuBaseline computed;
  ASSERT_TRUE(Compute({Fixture("Cascadelake-Server"), Fixture("Skylake-Server")}, &computed).ok());
  EXPECT_FALSE(computed.supported_here());  // TCG offers no AVX-512
  v1::CpuBaseline before;
  const grpc::Status had = host()->GetCpuBaseline(Ctx().get(), {}, &before);

  v1::CpuBaseline out;
  const grpc::Status s = Set("refused-1", computed.libvirt_cpu_xml(), &out);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("missing features: "));
  EXPECT_THAT(s.error_message(), HasSubstr("avx512f"));
  std::cerr << "refused: " << s.error_message() << "\n";

  // Nothing stored: the baseline (none, or an earlier one) is unchanged.
  v1::CpuBaseline after;
  const grpc::Status has = host()->GetCpuBaseline(Ctx().get(), {}, &after);
  EXPECT_EQ(has.error_code(), had.error_code());
  EXPECT_EQ(after.libvirt_cpu_xml(), before.libvirt_cpu_xml());

  // And what is not CPU XML is refused as such.
  const grpc::Status bad = Set("refused-2", "<domain/>", &out);
  EXPECT_EQ(bad.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(bad.error_message(), HasSubstr("libvirt_cpu_xml: not CPU XML"));
}

// The hvctl commands, against the same agent, with no baseline set yet.
TEST_F(CpuBaselineTest, HvctlShowsComputesAndRefuses) {
  const auto hvctl = [](std::vector<std::string> args) {
    args.insert(args.begin(), {BuildDir() + "/src/cli/hvctl", "--endpoint",
                               "unix:" + agent_->socket(), "-o", "json"});
    return RunProcess(args, std::chrono::seconds(60));
  };
  ProcessResult r = hvctl({"host.cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json cpu = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(cpu.is_discarded()) << r.out;
  EXPECT_THAT(cpu["libvirt_cpu_xml"].get<std::string>(), HasSubstr("<cpu mode='custom'"));
  EXPECT_FALSE(cpu["raw"]["vendor_id"].get<std::string>().empty());

  r = hvctl({"host.cpu_baseline_get"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));

  const std::string dir = SourceDir() + "/tests/unit/testdata/cpu/hosts/";
  r = hvctl({"host.cpu_baseline_compute",
             "host_cpu_files=" + dir + "Skylake-Server.xml," + dir + "SandyBridge.xml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json computed = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(computed.is_discarded()) << r.out;
  EXPECT_EQ(computed["explanation"]["lowest_host_index"], 1);

  const std::string baseline_file = state_dir_ + "/skylake-baseline.xml";
  std::ofstream(baseline_file) << computed["libvirt_cpu_xml"].get<std::string>();
  r = hvctl({"host.cpu_baseline_set", "file=" + baseline_file});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("FAILED_PRECONDITION"));
  // TCG offers every SandyBridge feature, but as an AMD CPU.
  EXPECT_THAT(r.err, HasSubstr("this host cannot run the baseline"));
  EXPECT_THAT(r.err, HasSubstr("the baseline's vendor is Intel, this host offers AMD"));
}

TEST_F(CpuBaselineTest, SetHoldsNewVmsToTheBaselineAndRunningOnesUntilTheirPowerCycle) {
  v1::CpuBaseline none;
  ASSERT_EQ(host()->GetCpuBaseline(Ctx().get(), {}, &none).error_code(), grpc::NOT_FOUND);

  // A VM running before the baseline is set: host-model, rdrand visible.
  // (rdrand, because nothing in the guest's userspace dispatches on it: a
  // CPU with SSE4.2 but without SSSE3 or SSE3 makes glibc's string functions
  // pick instructions the CPU then refuses, and busybox dies at boot.)
  v1::Vm early = CreateFlagsVm("cpu-early");
  PowerOn("cpu-early");
  const std::string early_flags = GuestFlags(early);
  ASSERT_FALSE(early_flags.empty()) << ReadFile(early.console_log_path());
  ASSERT_THAT(early_flags, HasSubstr(" rdrand ")) << "the control guest must show rdrand";
  EXPECT_EQ(GetVm("cpu-early").cpu_standing(), v1::CPU_STANDING_NO_BASELINE);

  // The baseline: this host's own CPU with rdrand left out.
  v1::HostCpu here;
  ASSERT_TRUE(host()->GetHostCpu(Ctx().get(), {}, &here).ok());
  v1::CpuBaseline computed;
  grpc::Status s = Compute({WithDisabled(here.libvirt_cpu_xml(), "rdrand")}, &computed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(computed.supported_here());
  EXPECT_THAT(computed.cpu().disabled_features(), ::testing::Contains("rdrand"));

  EventWatch baselines(agent_->Channel(), EventWatch::Of(v1::EVENT_KIND_CPU_BASELINE), 20);

  v1::CpuBaseline set;
  s = Set("set-1", computed.libvirt_cpu_xml(), &set);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(set.supported_here());
  EXPECT_EQ(set.libvirt_cpu_xml(), computed.libvirt_cpu_xml());
  // Replayed by request_id: the same answer, no second change or event.
  v1::CpuBaseline again;
  ASSERT_TRUE(Set("set-1", computed.libvirt_cpu_xml(), &again).ok());
  EXPECT_EQ(again.SerializeAsString(), set.SerializeAsString());
  v1::Event event;
  ASSERT_TRUE(baselines.Read(&event));
  EXPECT_EQ(event.kind(), v1::EVENT_KIND_CPU_BASELINE);
  EXPECT_EQ(event.cpu_baseline().baseline().libvirt_cpu_xml(), computed.libvirt_cpu_xml());
  baselines.Cancel();
  while (baselines.Read(&event)) {
    EXPECT_NE(event.kind(), v1::EVENT_KIND_CPU_BASELINE) << "a replay published again";
  }
  baselines.Finish();

  // The running VM keeps its CPU: host-model in its live XML, above the baseline.
  EXPECT_THAT(LiveXml("cpu-early"), Not(HasSubstr("<feature policy='disable' name='rdrand'/>")));
  EXPECT_EQ(GetVm("cpu-early").cpu_standing(), v1::CPU_STANDING_ABOVE_BASELINE);

  // A new VM gets the baseline: in its live XML and in its own /proc/cpuinfo.
  v1::Vm late = CreateFlagsVm("cpu-late");
  EXPECT_EQ(late.cpu_standing(), v1::CPU_STANDING_AT_BASELINE);
  EXPECT_EQ(late.cpu_model(), computed.cpu().model());
  PowerOn("cpu-late");
  const std::string live = LiveXml("cpu-late");
  EXPECT_THAT(live, HasSubstr("<cpu mode='custom' match='exact'"));
  EXPECT_THAT(live, HasSubstr("<feature policy='disable' name='rdrand'/>"));
  const std::string late_flags = GuestFlags(late);
  ASSERT_FALSE(late_flags.empty()) << ReadFile(late.console_log_path());
  EXPECT_THAT(late_flags, Not(HasSubstr(" rdrand "))) << late_flags;
  EXPECT_THAT(late_flags, HasSubstr(" sse2 ")) << late_flags;
  std::cerr << "guest flags without the baseline:" << early_flags
            << "\nguest flags at the baseline:   " << late_flags << "\n";

  // The baseline survives a restart of the agent.
  ASSERT_EQ(agent_->Stop(), 0) << agent_->log();
  agent_ = StartAgentOrFail(AgentOnTestbed(*bed_, {}, state_dir_));
  ASSERT_NE(agent_, nullptr);
  v1::CpuBaseline kept;
  s = host()->GetCpuBaseline(Ctx().get(), {}, &kept);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(kept.libvirt_cpu_xml(), computed.libvirt_cpu_xml());
  EXPECT_TRUE(kept.supported_here());
  EXPECT_EQ(kept.set_time().seconds(), set.set_time().seconds());

  // The early VM takes the baseline up at its next power cycle.
  v1::VmPowerRequest off;
  off.set_name("cpu-early");
  v1::Vm ignored;
  ASSERT_TRUE(vms()->PowerOff(Ctx().get(), off, &ignored).ok());
  const v1::Vm cycled = PowerOn("cpu-early");
  EXPECT_EQ(cycled.cpu_standing(), v1::CPU_STANDING_AT_BASELINE);
  EXPECT_THAT(LiveXml("cpu-early"), HasSubstr("<feature policy='disable' name='rdrand'/>"));
}

// Runs after the baseline is set: a VM held to a lower named model instead.
TEST_F(CpuBaselineTest, AnOverrideIsAcceptedKeptAndReportedBelowTheBaseline) {
  v1::CpuBaseline baseline;
  ASSERT_TRUE(host()->GetCpuBaseline(Ctx().get(), {}, &baseline).ok());
  v1::CreateVmRequest req;
  req.mutable_spec()->set_name("cpu-override");
  req.mutable_spec()->set_num_vcpus(1);
  req.mutable_spec()->set_memory_bytes(128ULL << 20);
  req.mutable_spec()->set_cpu_model_override("Nehalem");
  v1::Vm vm;
  const grpc::Status s = vms()->CreateVm(Ctx().get(), req, &vm);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(vm.spec().cpu_model_override(), "Nehalem");
  EXPECT_EQ(vm.cpu_model(), "Nehalem");
  // Nehalem's features are all within this host's baseline (EPYC under TCG).
  EXPECT_EQ(GetVm("cpu-override").cpu_standing(), v1::CPU_STANDING_BELOW_BASELINE);

  req.mutable_spec()->set_name("cpu-override-bad");
  req.mutable_spec()->set_cpu_model_override("Nehalem<x>");
  EXPECT_EQ(vms()->CreateVm(Ctx().get(), req, &vm).error_code(), grpc::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace hvagent::testing
