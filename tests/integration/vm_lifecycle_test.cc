// A VM's whole life through the API against the testbed's libvirtd, QEMU and
// OVS: a real guest boots, reaches the network through the agent's own tap
// and port, and every power operation, refusal and crash-restart is checked.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "hvagent/libvirt/connection.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;

class VmLifecycleTest : public VmApiTest {};

TEST_F(VmLifecycleTest, WholeLifeOfARealGuest) {
  v1::Vm vm;
  const grpc::Status created =
      vms()->CreateVm(Ctx().get(),
                      GuestVm("web-1", GuestAddressUp("eth0", "10.88.0.2/24") +
                                           "if ping -c 3 -W 3 10.88.0.1; then echo NET=ok; else "
                                           "echo NET=down; fi\nsleep 3600\n"),
                      &vm);
  ASSERT_TRUE(created.ok()) << created.error_message() << agent_->log();
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_OFF);
  ASSERT_EQ(vm.nics_size(), 1);
  const std::string tap = vm.nics(0).tap();
  EXPECT_LE(tap.size(), 15u);
  EXPECT_EQ(vm.nics(0).bridge(), "br0.local");

  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "web-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);
  // The agent's tap is an access port of VLAN 10, tagged as the VM's.
  EXPECT_EQ(PortColumn(tap, "tag"), "10");
  EXPECT_EQ(PortColumn(tap, "external_ids:vm-uuid"), "\"" + vm.uuid() + "\"");
  const std::string console = vm.console_log_path();
  EXPECT_TRUE(WaitForConsole(console, "NET="));
  EXPECT_THAT(ReadFile(console), HasSubstr("NET=ok"));

  ASSERT_TRUE(Power(&v1::VmService::Stub::Pause, "web-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_PAUSED);
  ASSERT_TRUE(Power(&v1::VmService::Stub::Resume, "web-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);

  // Deleting a running VM is refused, and changes nothing.
  v1::DeleteVmRequest del;
  del.set_name("web-1");
  v1::DeleteVmResponse deleted;
  const grpc::Status refused = vms()->DeleteVm(Ctx().get(), del, &deleted);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION) << refused.error_message();
  ASSERT_TRUE(GetVm("web-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);

  // Reset reboots the guest: it prints its banner again.
  const size_t boots = [&] {
    const std::string text = ReadFile(console);
    size_t n = 0;
    for (size_t pos = text.find("hvtest: up"); pos != std::string::npos;
         pos = text.find("hvtest: up", pos + 1)) {
      ++n;
    }
    return n;
  }();
  EXPECT_EQ(boots, 1u);
  ASSERT_TRUE(Power(&v1::VmService::Stub::Reset, "web-1", &vm).ok());
  EXPECT_TRUE(Eventually(
      [&] {
        const std::string text = ReadFile(console);
        return text.find("hvtest: up") != text.rfind("hvtest: up");
      },
      "the second boot", std::chrono::seconds(120)))
      << ReadFile(console);

  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOff, "web-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_OFF);
  ASSERT_TRUE(vms()->DeleteVm(Ctx().get(), del, &deleted).ok());
  // Gone, with its port and tap.
  v1::Vm gone;
  v1::GetVmRequest get;
  get.set_name("web-1");
  EXPECT_EQ(vms()->GetVm(Ctx().get(), get, &gone).error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(PortColumn(tap, "name"), "(missing)");
  EXPECT_NE(bed_->Exec({"ip", "link", "show", tap}).exit_code, 0);
}

TEST_F(VmLifecycleTest, AcpiShutdownHonouredAndTimeoutFallback) {
  // This guest powers off when the ACPI power button is pressed. It opens the
  // button's device before it says so: a press before the open is not queued.
  const std::string honours =
      "for e in /sys/class/input/event*; do grep -q 'Power Button' $e/device/name && "
      "dev=/dev/input/${e##*/}; done\nexec 3<$dev\necho ACPI-WATCH=$dev\n"
      "dd bs=24 count=1 <&3 >/dev/null 2>&1\necho ACPI-PRESSED\n";
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(BootAndWaitFor("polite", honours, "ACPI-WATCH=/dev/input/", &vm));
  ASSERT_TRUE(vms()->Shutdown(Ctx(90).get(), ShutdownRequest("polite", 60, false), &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_OFF);
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("ACPI-PRESSED"));

  // This one ignores the button: without fallback the call times out and the
  // VM still runs; with fallback it is powered off.
  ASSERT_NO_FATAL_FAILURE(BootAndWaitFor("deaf", "sleep 3600\n", "hvtest: up", &vm));
  const grpc::Status timed_out =
      vms()->Shutdown(Ctx().get(), ShutdownRequest("deaf", 3, false), &vm);
  EXPECT_EQ(timed_out.error_code(), grpc::DEADLINE_EXCEEDED) << timed_out.error_message();
  ASSERT_TRUE(GetVm("deaf", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);
  ASSERT_TRUE(vms()->Shutdown(Ctx().get(), ShutdownRequest("deaf", 3, true), &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_OFF);
}

TEST_F(VmLifecycleTest, RefusalsNameTheProblemAndChangeNothing) {
  struct Case {
    std::function<void(v1::CreateVmRequest&)> mutate;
    grpc::StatusCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.mutable_spec()->set_name("a'><devices>"); }, grpc::INVALID_ARGUMENT,
       "spec.name"},
      {[](auto& r) { r.mutable_spec()->set_num_vcpus(0); }, grpc::INVALID_ARGUMENT,
       "spec.num_vcpus"},
      {[](auto& r) { r.mutable_spec()->set_num_vcpus(4096); }, grpc::RESOURCE_EXHAUSTED,
       "vcpus_per_vm"},
      {[](auto& r) { r.mutable_spec()->set_memory_bytes(8ULL << 40); }, grpc::RESOURCE_EXHAUSTED,
       "memory_bytes_per_vm"},
      {[](auto& r) {
         r.mutable_spec()->add_disks()->set_create_size_bytes(10'000'000'000'000'000'000ULL);
       },
       grpc::RESOURCE_EXHAUSTED, "9 EB"},
      {[](auto& r) { r.mutable_spec()->mutable_nics(0)->set_network("vlan.99"); }, grpc::NOT_FOUND,
       "spec.nics[0].network"},
      {[](auto& r) { r.mutable_spec()->mutable_nics(0)->set_mac("ff:ff:ff:ff:ff:ff"); },
       grpc::INVALID_ARGUMENT, "mac"},
  };
  for (const Case& c : cases) {
    v1::CreateVmRequest req = GuestVm("bad", "true\n");
    c.mutate(req);
    v1::Vm out;
    const grpc::Status s = vms()->CreateVm(Ctx().get(), req, &out);
    EXPECT_EQ(s.error_code(), c.code) << c.says << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.says));
  }
  v1::ListVmsRequest all;
  all.set_include_external(true);
  v1::ListVmsResponse list;
  ASSERT_TRUE(vms()->ListVms(Ctx().get(), all, &list).ok());
  EXPECT_EQ(list.vms_size(), 0);
  EXPECT_TRUE(!std::filesystem::exists(state_dir_ + "/disks") ||
              std::filesystem::is_empty(state_dir_ + "/disks"));

  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("dup", "true\n"), &vm).ok());
  const grpc::Status dup = vms()->CreateVm(Ctx().get(), GuestVm("dup", "true\n"), &vm);
  EXPECT_EQ(dup.error_code(), grpc::ALREADY_EXISTS);
}

TEST_F(VmLifecycleTest, AgentCrashLeavesVmsRunningAndTheRestartSeesTheSameState) {
  v1::Vm before;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("survivor", "sleep 3600\n"), &before).ok());
  const auto powered_on_at = std::chrono::system_clock::now();
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "survivor", &before).ok());
  const std::string port_uuid = PortColumn(before.nics(0).tap(), "_uuid");
  // Uptime: the start of this run, noted in the running domain itself.
  ASSERT_TRUE(before.has_started());
  const int64_t started_ms = before.started().seconds() * 1000 + before.started().nanos() / 1000000;
  const int64_t asked_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(powered_on_at.time_since_epoch())
          .count();
  EXPECT_GE(started_ms, asked_ms);
  EXPECT_LT(started_ms, asked_ms + 60'000);

  agent_->Kill();  // SIGKILL
  auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
  ASSERT_TRUE(conn.ok());
  auto dom = (*conn)->LookupDomainByName("survivor");
  ASSERT_TRUE(dom.ok());
  EXPECT_EQ(*dom->State(), libvirt::DomainState::kRunning);

  StartAgent();
  v1::Vm after;
  v1::GetVmRequest get;
  get.set_name("survivor");
  ASSERT_TRUE(vms()->GetVm(Ctx().get(), get, &after).ok());
  EXPECT_EQ(after.uuid(), before.uuid());
  EXPECT_EQ(after.power_state(), v1::POWER_STATE_ON);
  EXPECT_EQ(after.started().seconds(), before.started().seconds());  // the same run
  EXPECT_EQ(after.nics(0).tap(), before.nics(0).tap());
  EXPECT_FALSE(after.external());
  // The switch was not touched: the same port row.
  EXPECT_EQ(PortColumn(before.nics(0).tap(), "_uuid"), port_uuid);
}

TEST_F(VmLifecycleTest, RestartedAgentReplugsARunningVmsLostPort) {
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn("replug", "sleep 3600\n", &vm));
  const std::string tap = vm.nics(0).tap();
  agent_->Kill();
  // The switch loses the port while the agent is away (an ovsdb reset, a
  // careless operator): the VM runs on, cut off.
  ASSERT_TRUE(bed_->Vsctl({"del-port", "br0.local", tap}).ok());
  ASSERT_EQ(PortColumn(tap, "name"), "(missing)");
  StartAgent();
  std::string tag = "(missing)";
  Eventually(
      [&] {
        tag = PortColumn(tap, "tag");
        return tag != "(missing)";
      },
      "the re-plugged port", std::chrono::seconds(10));
  EXPECT_EQ(tag, "10") << agent_->log();
  EXPECT_EQ(PortColumn(tap, "external_ids:vm-uuid"), "\"" + vm.uuid() + "\"");
}

TEST_F(VmLifecycleTest, NicHotPlugIsSeenInsideTheGuestAndUnplugCleansUp) {
  CreateNetwork("vlan.20", 20);
  const std::string script =
      "echo WAITING-ETH1\n"
      "while [ ! -e /sys/class/net/eth1 ]; do sleep 0.2; done\n"
      "echo ETH1-APPEARED\n" +
      GuestAddressUp("eth1", "10.89.0.2/24") +
      "if ping -c 3 -W 3 10.89.0.1; then echo NET20=ok; else echo NET20=down; fi\n"
      "sleep 3600\n";
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(BootAndWaitFor("plug", script, "WAITING-ETH1", &vm));

  v1::CreateNicRequest add;
  add.set_vm_name("plug");
  add.mutable_spec()->set_network("vlan.20");
  v1::Nic nic;
  const grpc::Status plugged = vms()->CreateNic(Ctx().get(), add, &nic);
  ASSERT_TRUE(plugged.ok()) << plugged.error_message() << agent_->log();
  EXPECT_EQ(PortColumn(nic.tap(), "tag"), "20");
  // The guest sees the new NIC and reaches VLAN 20 through it.
  EXPECT_TRUE(WaitForConsole(vm.console_log_path(), "NET20="));
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("NET20=ok"));
  v1::GetVmRequest get;
  get.set_name("plug");
  ASSERT_TRUE(vms()->GetVm(Ctx().get(), get, &vm).ok());
  EXPECT_EQ(vm.nics_size(), 2);  // kept in the definition

  v1::DeleteNicRequest del;
  del.set_vm_name("plug");
  del.set_mac(nic.mac());
  v1::DeleteNicResponse deleted;
  const grpc::Status unplugged = vms()->DeleteNic(Ctx().get(), del, &deleted);
  EXPECT_TRUE(unplugged.ok()) << unplugged.error_message();
  ASSERT_TRUE(vms()->GetVm(Ctx().get(), get, &vm).ok());
  EXPECT_EQ(vm.nics_size(), 1);
  EXPECT_EQ(PortColumn(nic.tap(), "name"), "(missing)");
  EXPECT_EQ(vms()->DeleteNic(Ctx().get(), del, &deleted).error_code(), grpc::NOT_FOUND);
}

TEST_F(VmLifecycleTest, UpdateResizesWhileOffAndRefusesWhileOn) {
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("grow", "sleep 3600\n"), &vm).ok());
  v1::UpdateVmRequest update;
  update.set_name("grow");
  update.set_memory_bytes(384ULL << 20);
  (*update.mutable_labels()->mutable_entries())["owner"] = "team-a";
  update.set_expected_generation(vm.generation());
  ASSERT_TRUE(vms()->UpdateVm(Ctx().get(), update, &vm).ok());
  EXPECT_EQ(vm.spec().memory_bytes(), 384ULL << 20);
  EXPECT_EQ(vm.spec().labels().entries().at("owner"), "team-a");
  EXPECT_EQ(vm.generation(), 2);

  // A stale generation is a concurrent change.
  update.set_expected_generation(1);
  EXPECT_EQ(vms()->UpdateVm(Ctx().get(), update, &vm).error_code(), grpc::ABORTED);
  // Over the host's maximum: RESOURCE_EXHAUSTED, nothing changes.
  v1::UpdateVmRequest huge;
  huge.set_name("grow");
  huge.set_num_vcpus(100000);
  EXPECT_EQ(vms()->UpdateVm(Ctx().get(), huge, &vm).error_code(), grpc::RESOURCE_EXHAUSTED);

  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "grow", &vm).ok());
  v1::UpdateVmRequest live;
  live.set_name("grow");
  live.set_memory_bytes(512ULL << 20);
  const grpc::Status refused = vms()->UpdateVm(Ctx().get(), live, &vm);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION) << refused.error_message();
  v1::GetVmRequest get;
  get.set_name("grow");
  ASSERT_TRUE(vms()->GetVm(Ctx().get(), get, &vm).ok());
  EXPECT_EQ(vm.spec().memory_bytes(), 384ULL << 20);
  EXPECT_EQ(vm.generation(), 2);
}

TEST_F(VmLifecycleTest, ConcurrentPowerOperationsOnManyVms) {
  constexpr int kVms = 4;
  for (int i = 0; i < kVms; ++i) {
    v1::Vm vm;
    ASSERT_TRUE(
        vms()
            ->CreateVm(Ctx().get(), GuestVm("many-" + std::to_string(i), "sleep 3600\n"), &vm)
            .ok());
  }
  auto all = [&](grpc::Status (v1::VmService::Stub::*op)(grpc::ClientContext*,
                                                         const v1::VmPowerRequest&, v1::Vm*),
                 v1::PowerState want) {
    std::vector<std::thread> threads;
    std::vector<grpc::Status> results(kVms);
    std::vector<v1::Vm> vms_out(kVms);
    for (int i = 0; i < kVms; ++i) {
      threads.emplace_back(
          [&, i] { results[i] = Power(op, "many-" + std::to_string(i), &vms_out[i]); });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kVms; ++i) {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].error_message();
      EXPECT_EQ(vms_out[i].power_state(), want) << i;
    }
  };
  all(&v1::VmService::Stub::PowerOn, v1::POWER_STATE_ON);
  all(&v1::VmService::Stub::Pause, v1::POWER_STATE_PAUSED);
  all(&v1::VmService::Stub::Resume, v1::POWER_STATE_ON);
  all(&v1::VmService::Stub::PowerOff, v1::POWER_STATE_OFF);
}

// The read path's cache (issue 16): a read right after the agent's own change
// returns shows it, with no wait for libvirt's event; a change made with
// virsh shows once its event comes (Eventually, within seconds).
TEST_F(VmLifecycleTest, ReadsShowTheAgentsChangesAtOnceAndVirshsOnceTheirEventComes) {
  auto expect_read = [&](const std::string& name, auto check, const char* what) {
    v1::Vm vm;
    const grpc::Status s = GetVm(name, &vm);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(check(vm)) << what << ": " << vm.ShortDebugString();
  };
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("reader-1", "sleep 3600\n"), &vm).ok());
  expect_read(
      "reader-1", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_OFF; },
      "created");
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "reader-1", &vm).ok());
  expect_read(
      "reader-1", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_ON; },
      "powered on");
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOff, "reader-1", &vm).ok());
  expect_read(
      "reader-1", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_OFF; },
      "powered off");
  v1::UpdateVmRequest update;
  update.set_name("reader-1");
  update.set_memory_bytes(320ULL << 20);
  ASSERT_TRUE(vms()->UpdateVm(Ctx().get(), update, &vm).ok());
  expect_read(
      "reader-1", [](const v1::Vm& v) { return v.spec().memory_bytes() == (320ULL << 20); },
      "resized");
  v1::CreateNicRequest nic;
  nic.set_vm_name("reader-1");
  nic.mutable_spec()->set_network("vlan.10");
  v1::Nic made;
  ASSERT_TRUE(vms()->CreateNic(Ctx().get(), nic, &made).ok());
  expect_read(
      "reader-1", [](const v1::Vm& v) { return v.nics_size() == 2; }, "a NIC more");
  v1::GetNetworkRequest get_net;
  get_net.set_name("vlan.10");
  v1::Network net;
  ASSERT_TRUE(networks()->GetNetwork(Ctx().get(), get_net, &net).ok());
  EXPECT_EQ(net.nic_count(), 2U);

  // Outside the agent: virsh starts and stops a VM of the agent's (no NIC:
  // its taps are the agent's to make), redefines it, defines and undefines
  // one of its own.
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVmRequest("reader-2", "sleep 3600\n"), &vm).ok());
  expect_read(
      "reader-2", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_OFF; },
      "created");
  auto virsh = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"virsh", "-c", bed_->libvirt_uri()});
    const ProcessResult r = RunProcess(args);
    EXPECT_TRUE(r.ok()) << r.err;
    return r;
  };
  auto eventually = [&](const std::string& name, auto check, const std::string& what) {
    return Eventually(
        [&] {
          v1::Vm v;
          return GetVm(name, &v).ok() && check(v);
        },
        what, std::chrono::seconds(10));
  };
  virsh({"start", "reader-2"});
  EXPECT_TRUE(eventually(
      "reader-2", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_ON; },
      "reader-2 on after virsh start"));
  virsh({"destroy", "reader-2"});
  EXPECT_TRUE(eventually(
      "reader-2", [](const v1::Vm& v) { return v.power_state() == v1::POWER_STATE_OFF; },
      "reader-2 off after virsh destroy"));
  // virsh define of its definition with 384 MiB instead of 256.
  const std::string xml = virsh({"dumpxml", "--inactive", "reader-2"}).out;
  const std::string small = "<memory unit='KiB'>262144</memory>";
  ASSERT_NE(xml.find(small), std::string::npos) << xml;
  std::string larger = xml;
  larger.replace(larger.find(small), small.size(), "<memory unit='KiB'>393216</memory>");
  const std::string file = state_dir_ + "-reader-2.xml";
  std::ofstream(file) << larger;
  virsh({"define", file});
  std::filesystem::remove(file);
  EXPECT_TRUE(eventually(
      "reader-2", [](const v1::Vm& v) { return v.spec().memory_bytes() == (384ULL << 20); },
      "reader-2 with 384 MiB after virsh define"));
  // A domain of someone else's, listed among the external ones, then gone.
  std::string foreign = xml;
  foreign.replace(foreign.find("<name>reader-2</name>"), 21, "<name>by-virsh</name>");
  foreign.erase(foreign.find("<uuid>"), foreign.find("</uuid>") + 7 - foreign.find("<uuid>"));
  foreign.erase(foreign.find("<metadata>"),
                foreign.find("</metadata>") + 11 - foreign.find("<metadata>"));
  std::ofstream(file) << foreign;
  virsh({"define", file});
  std::filesystem::remove(file);
  auto listed = [&](const std::string& name) {
    v1::ListVmsRequest req;
    req.set_include_external(true);
    v1::ListVmsResponse resp;
    if (!vms()->ListVms(Ctx().get(), req, &resp).ok()) return false;
    for (const v1::Vm& v : resp.vms()) {
      if (v.spec().name() == name) return true;
    }
    return false;
  };
  EXPECT_TRUE(
      Eventually([&] { return listed("by-virsh"); }, "by-virsh listed", std::chrono::seconds(10)));
  virsh({"undefine", "by-virsh"});
  EXPECT_TRUE(
      Eventually([&] { return !listed("by-virsh"); }, "by-virsh gone", std::chrono::seconds(10)));
  // All of it from the cache: the agent subscribed to every event it needs.
  EXPECT_THAT(agent_->log(), ::testing::Not(HasSubstr("domain events not all subscribed")));
}

// ListVms pages: each at most page_size VMs, every VM once, in name order,
// the next token empty only on the last page; an external domain only with
// include_external (each page is built alone, so its filter must hold
// across pages, not only on the first).
TEST_F(VmLifecycleTest, ListVmsPagesWalkEveryVmOnceInNameOrder) {
  for (const char* name : {"page-a", "page-b", "page-c", "page-d", "page-e"}) {
    v1::Vm vm;
    ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm(name, "true\n"), &vm).ok()) << name;
  }
  // Someone else's domain among them: a copy of page-c's definition.
  const auto virsh = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"virsh", "-c", bed_->libvirt_uri()});
    const ProcessResult r = RunProcess(args);
    EXPECT_TRUE(r.ok()) << r.err;
    return r;
  };
  std::string foreign = virsh({"dumpxml", "--inactive", "page-c"}).out;
  foreign.replace(foreign.find("<name>page-c</name>"), 19, "<name>page-c2</name>");
  foreign.erase(foreign.find("<uuid>"), foreign.find("</uuid>") + 7 - foreign.find("<uuid>"));
  foreign.erase(foreign.find("<metadata>"),
                foreign.find("</metadata>") + 11 - foreign.find("<metadata>"));
  const std::string file = state_dir_ + "-page-c2.xml";
  std::ofstream(file) << foreign;
  virsh({"define", file});
  std::filesystem::remove(file);

  const auto walk = [&](bool include_external) {
    std::vector<std::string> names;
    v1::ListVmsRequest req;
    req.set_include_external(include_external);
    req.mutable_page()->set_page_size(2);
    for (int pages = 0; pages < 20; ++pages) {
      v1::ListVmsResponse resp;
      const grpc::Status s = vms()->ListVms(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      EXPECT_LE(resp.vms_size(), 2);
      for (const v1::Vm& vm : resp.vms()) names.push_back(vm.spec().name());
      if (resp.page().next_page_token().empty()) break;
      EXPECT_EQ(resp.page().next_page_token(), names.back());
      req.mutable_page()->set_page_token(resp.page().next_page_token());
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()) &&
                std::adjacent_find(names.begin(), names.end()) == names.end())
        << ::testing::PrintToString(names);
    return names;
  };
  EXPECT_THAT(walk(false),
              ::testing::ElementsAre("page-a", "page-b", "page-c", "page-d", "page-e"));
  EXPECT_THAT(walk(true),
              ::testing::ElementsAre("page-a", "page-b", "page-c", "page-c2", "page-d", "page-e"));
  virsh({"undefine", "page-c2"});
}

// A reconcile lists every domain, OVS port, tap and image: it follows a run
// that ended or a domain that went, never a define (a reconcile per CreateVm
// made each create cost O(VMs) on a full host: docs/performance.md).
TEST_F(VmLifecycleTest, CreatesDoNotSweepTheHostAndAStoppedRunDoes) {
  const auto reconciles = [&] {
    const std::string log = agent_->log();
    size_t n = 0;
    for (size_t at = log.find("reconcile: "); at != std::string::npos;
         at = log.find("reconcile: ", at + 1)) {
      ++n;
    }
    return n;
  };
  // The start's own reconciles done: none for a second.
  size_t before = reconciles();
  ASSERT_TRUE(Eventually(
      [&] {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        const size_t now = reconciles();
        return std::exchange(before, now) == now;
      },
      "the start's reconciles", std::chrono::seconds(20)));

  v1::Vm vm;
  for (const char* name : {"quiet-a", "quiet-b", "quiet-c"}) {
    ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm(name, "sleep 3600\n"), &vm).ok()) << name;
  }
  // Their DEFINED events come within milliseconds; a reconcile would follow.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(reconciles(), before) << agent_->log();

  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "quiet-a", &vm).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOff, "quiet-a", &vm).ok());
  EXPECT_TRUE(Eventually([&] { return reconciles() > before; }, "a reconcile after the stop",
                         std::chrono::seconds(10)))
      << agent_->log();
}

TEST_F(VmLifecycleTest, LibvirtdRestartUnderTheAgent) {
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn("steady", "sleep 3600\n", &vm));
  ASSERT_TRUE(bed_->StopDaemon("libvirt"));
  v1::GetVmRequest get;
  get.set_name("steady");
  const grpc::Status down = vms()->GetVm(Ctx().get(), get, &vm);
  EXPECT_EQ(down.error_code(), grpc::UNAVAILABLE) << down.error_message();
  ASSERT_TRUE(bed_->StartDaemon("libvirt"));
  grpc::Status back = down;
  Eventually(
      [&] {
        back = vms()->GetVm(Ctx().get(), get, &vm);
        return back.ok();
      },
      "libvirt's return", std::chrono::seconds(30));
  ASSERT_TRUE(back.ok()) << back.error_message();
  // QEMU kept running while libvirtd was away; nothing was restarted.
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);
  const std::string console = ReadFile(vm.console_log_path());
  EXPECT_EQ(console.find("hvtest: up"), console.rfind("hvtest: up")) << console;
}

TEST_F(VmLifecycleTest, SigtermLetsACallInFlightFinish) {
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(BootAndWaitFor("slow", "sleep 3600\n", "hvtest: up", &vm));
  // The guest ignores ACPI: the call takes its whole 4 s timeout, then powers
  // the VM off. SIGTERM arrives in the middle of it.
  const v1::ShutdownVmRequest shutdown = ShutdownRequest("slow", 4, true);
  auto stub = vms();
  v1::Vm after;
  grpc::Status in_flight;
  std::thread call([&] { in_flight = stub->Shutdown(Ctx(60).get(), shutdown, &after); });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int exit_code = agent_->Stop();  // SIGTERM, then wait for the exit
  call.join();
  EXPECT_EQ(exit_code, 0) << agent_->log();
  EXPECT_TRUE(in_flight.ok()) << in_flight.error_message() << agent_->log();
  EXPECT_EQ(after.power_state(), v1::POWER_STATE_OFF);
  auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
  ASSERT_TRUE(conn.ok());
  auto dom = (*conn)->LookupDomainByName("slow");
  ASSERT_TRUE(dom.ok());
  EXPECT_EQ(*dom->State(), libvirt::DomainState::kShutOff);
  StartAgent();  // for TearDown
}

}  // namespace
}  // namespace hvagent::testing
