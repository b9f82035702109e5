// The one domain-type probe, against the testbed's real libvirtd and QEMU:
// the probe guest runs 64-bit code and says so, a guest that never does leads
// to qemu with the reason, and the agent shows its choice (and why) before
// any VM exists, honours compute.domain_type, and keeps its probe guests out
// of events and lists.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "event_watch.h"
#include "hvagent/compute/domain_type_probe.h"
#include "hvagent/libvirt/connection.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using compute::DomainType;
using compute::ProbeRun;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class DomainTypeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartOrFail<Testbed>().release();
    ASSERT_NE(bed_, nullptr);
    auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = conn->release();
    // What the tests' guests use everywhere: the agent's own probe.
    host_type_ = DetectDomainType(*conn_, bed_->state_dir());
  }
  static void TearDownTestSuite() {
    delete conn_;
    conn_ = nullptr;
    delete bed_;
    bed_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(bed_, nullptr);
    work_dir_ = bed_->state_dir() + "/probe-test";
  }
  void TearDown() override {
    if (agent_) agent_->Stop();
    agent_.reset();
  }

  bool StartAgent(std::vector<std::string> extra_args = {}) {
    agent_ = std::make_unique<AgentProcess>(AgentOnTestbed(*bed_, std::move(extra_args)));
    return agent_->Start();
  }

  v1::Host GetHost() {
    v1::Host host;
    const grpc::Status s =
        v1::HostService::NewStub(agent_->Channel())->GetHost(Ctx().get(), {}, &host);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return host;
  }

  // Names of the probe guests libvirt knows of, running or defined.
  static std::vector<std::string> ProbeDomains() {
    std::vector<std::string> names;
    auto all = conn_->ListAllDomains();
    EXPECT_TRUE(all.ok()) << all.status();
    if (!all.ok()) return names;
    for (const libvirt::Domain& d : *all) {
      if (compute::IsProbeDomainName(d.Name())) names.push_back(d.Name());
    }
    return names;
  }

  // A probe-named guest that stays up (the silent image halts): as one an
  // agent killed mid-probe would leave.
  static StatusOr<libvirt::Domain> StartHaltedProbeGuest(const std::string& name,
                                                         const std::string& dir) {
    std::filesystem::create_directories(dir);
    const std::string image = dir + "/silent.img";
    {
      std::ofstream out(image, std::ios::binary);
      const std::string_view bytes = SilentProbeImage();
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    pugi::xml_document doc;
    auto domain = doc.append_child("domain");
    domain.append_attribute("type") = "qemu";
    domain.append_child("name").text() = name.c_str();
    auto memory = domain.append_child("memory");
    memory.append_attribute("unit") = "MiB";
    memory.text() = 32;
    domain.append_child("vcpu").text() = 1;
    auto os = domain.append_child("os");
    os.append_child("type").text() = "hvm";
    os.append_child("kernel").text() = image.c_str();
    std::ostringstream xml;
    doc.save(xml);
    return conn_->CreateTransientDomain(xml.str());
  }

  inline static Testbed* bed_ = nullptr;
  inline static libvirt::Connection* conn_ = nullptr;
  inline static std::string host_type_;
  std::string work_dir_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(DomainTypeTest, ProbeGuestRunsSixtyFourBitCodeUnderTcgAndLeavesNothing) {
  const ProbeRun run = compute::RunProbeGuest(*conn_, DomainType::kQemu, {.work_dir = work_dir_});
  EXPECT_EQ(run.outcome, ProbeRun::Outcome::kRan) << run.error;
  EXPECT_LT(run.elapsed, std::chrono::milliseconds(3000));
  EXPECT_THAT(ProbeDomains(), ::testing::IsEmpty());
  EXPECT_TRUE(std::filesystem::is_empty(work_dir_)) << "image and serial log are removed";
}

TEST_F(DomainTypeTest, GuestThatNeverProvesItselfLeadsToQemuWithTheReason) {
  const auto deadline = std::chrono::milliseconds(1500);
  const ProbeRun run = compute::RunProbeGuest(
      *conn_, DomainType::kQemu,
      {.work_dir = work_dir_, .deadline = deadline, .image = SilentProbeImage()});
  ASSERT_EQ(run.outcome, ProbeRun::Outcome::kSilent) << run.error;
  EXPECT_GE(run.elapsed, deadline);
  // As if KVM were offered and this had been its run: qemu, saying why.
  const compute::DomainTypeChoice choice = compute::DecideDomainType(true, run, deadline);
  EXPECT_EQ(choice.type, DomainType::kQemu);
  EXPECT_EQ(choice.reason, "qemu: KVM offered but a 64-bit guest did not run within 1.5 s");
  EXPECT_THAT(ProbeDomains(), ::testing::IsEmpty()) << "destroyed at the deadline";
}

TEST_F(DomainTypeTest, AgentShowsItsChoiceAndWhyBeforeAnyVmStarts) {
  ASSERT_TRUE(StartAgent()) << agent_->log();
  const v1::Host host = GetHost();
  std::cerr << "agent: domain type " << host.domain_type_reason() << "\n";
  // The agent and its tests run the same probe: they agree.
  EXPECT_EQ(host.domain_type(), host_type_);
  EXPECT_THAT(host.domain_type_reason(), StartsWith(host.domain_type() + ": "));
  v1::ListVmsResponse list;
  ASSERT_TRUE(v1::VmService::NewStub(agent_->Channel())->ListVms(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.vms_size(), 0) << "chosen before any VM";
  EXPECT_THAT(ProbeDomains(), ::testing::IsEmpty()) << "the probe guest is never left behind";
}

// A restart on the same host (same kernel, boot, libvirt, QEMU and /dev/kvm)
// reuses the verdict the first start recorded in its store: no probe guest.
TEST_F(DomainTypeTest, ARestartReusesTheRecordedVerdictWithoutProbing) {
  // A state directory (the store) of this test's own, kept across the restart.
  const std::string state_dir = bed_->state_dir() + "/restart-agent";
  std::filesystem::remove_all(state_dir);
  agent_ = StartAgentOrFail(AgentOnTestbed(*bed_, {}, state_dir));
  ASSERT_NE(agent_, nullptr);
  const v1::Host first = GetHost();
  EXPECT_THAT(agent_->log(), HasSubstr("no verdict recorded yet, probing"));
  ASSERT_EQ(agent_->Stop(), 0) << agent_->log();
  agent_ = StartAgentOrFail(AgentOnTestbed(*bed_, {}, state_dir));
  ASSERT_NE(agent_, nullptr);
  const v1::Host again = GetHost();
  EXPECT_EQ(again.domain_type(), first.domain_type());
  EXPECT_THAT(again.domain_type_reason(),
              StartsWith(first.domain_type_reason() + " (recorded at "));
  EXPECT_THAT(again.domain_type_reason(), ::testing::EndsWith(", probe skipped)"));
  EXPECT_THAT(agent_->log(), HasSubstr("probe skipped)"));
  EXPECT_THAT(agent_->log(), Not(HasSubstr("probing")));
  EXPECT_THAT(ProbeDomains(), ::testing::IsEmpty());
}

TEST_F(DomainTypeTest, QemuSettingSkipsTheProbe) {
  ASSERT_TRUE(StartAgent({"--domain-type", "qemu"})) << agent_->log();
  const v1::Host host = GetHost();
  EXPECT_EQ(host.domain_type(), "qemu");
  EXPECT_EQ(host.domain_type_reason(), "qemu: set by compute.domain_type (no probe)");
}

TEST_F(DomainTypeTest, KvmSettingStopsTheStartWhereKvmCannotRunGuests) {
  const bool started = StartAgent({"--domain-type", "kvm"});
  if (host_type_ == "kvm") {
    ASSERT_TRUE(started) << agent_->log();
    EXPECT_EQ(GetHost().domain_type(), "kvm");
    return;
  }
  ASSERT_FALSE(started) << agent_->log();
  EXPECT_EQ(agent_->ExitCode(), 2);
  EXPECT_THAT(agent_->log(), HasSubstr("compute.domain_type is kvm, but qemu: "));
}

TEST_F(DomainTypeTest, BadSettingIsRefusedNamingTheKey) {
  ASSERT_FALSE(StartAgent({"--domain-type", "xen"}));
  EXPECT_EQ(agent_->ExitCode(), 2);
  EXPECT_THAT(agent_->log(), HasSubstr("compute.domain_type 'xen' must be auto"));
}

TEST_F(DomainTypeTest, ProbeGuestsAreNeverVmsNorEventsAndStaleOnesAreRemoved) {
  // One left running by an agent killed mid-probe: the next agent removes it.
  auto stale = StartHaltedProbeGuest("hvagent-probe-stale", work_dir_);
  ASSERT_TRUE(stale.ok()) << stale.status();
  ASSERT_TRUE(StartAgent()) << agent_->log();
  EXPECT_THAT(ProbeDomains(), ::testing::IsEmpty()) << agent_->log();

  EventWatch events(agent_->Channel(), v1::WatchRequest{}, 60);

  // A probe guest comes and goes while the agent watches libvirt, and one
  // stays up while it lists.
  const ProbeRun run = compute::RunProbeGuest(*conn_, DomainType::kQemu, {.work_dir = work_dir_});
  ASSERT_EQ(run.outcome, ProbeRun::Outcome::kRan);
  auto running = StartHaltedProbeGuest("hvagent-probe-running", work_dir_);
  ASSERT_TRUE(running.ok()) << running.status();
  auto vms = v1::VmService::NewStub(agent_->Channel());
  v1::ListVmsRequest all;
  all.set_include_external(true);
  v1::ListVmsResponse list;
  ASSERT_TRUE(vms->ListVms(Ctx().get(), all, &list).ok());
  for (const v1::Vm& vm : list.vms()) EXPECT_FALSE(compute::IsProbeDomainName(vm.spec().name()));
  ASSERT_TRUE(running->Destroy().ok());

  // A VM may not take such a name.
  v1::CreateVmRequest bad;
  bad.mutable_spec()->set_name("hvagent-probe-mine");
  bad.mutable_spec()->set_num_vcpus(1);
  bad.mutable_spec()->set_memory_bytes(64ULL << 20);
  v1::Vm out;
  const grpc::Status refused = vms->CreateVm(Ctx().get(), bad, &out);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("spec.name"));

  // A real VM's event arrives; nothing about a probe guest came before it.
  v1::CreateVmRequest control;
  control.mutable_spec()->set_name("control");
  control.mutable_spec()->set_num_vcpus(1);
  control.mutable_spec()->set_memory_bytes(64ULL << 20);
  ASSERT_TRUE(vms->CreateVm(Ctx().get(), control, &out).ok());
  v1::Event event;
  bool saw_control = false;
  while (!saw_control && events.Read(&event)) {
    EXPECT_FALSE(compute::IsProbeDomainName(event.object_name())) << event.DebugString();
    saw_control = event.object_name() == "control";
  }
  EXPECT_TRUE(saw_control);
  events.Close();
  v1::DeleteVmRequest del;
  del.set_name("control");
  v1::DeleteVmResponse deleted;
  EXPECT_TRUE(vms->DeleteVm(Ctx().get(), del, &deleted).ok());
}

}  // namespace
}  // namespace hvagent::testing
