// The fixture of the VM API tests: one testbed per test binary (libvirtd,
// QEMU, OVS with br0 and peers on VLANs 10 and 20), a fresh agent per test,
// and helpers to boot the test guest.
#pragma once

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "guest_vm_request.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {

class VmApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartTestbedWithBr0OrFail().release();
    ASSERT_NE(bed_, nullptr);
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace("peer", "eth0", "10.88.0.1/24", "hvpeer", &error)) << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hvpeer", "tag=10"}).ok());
    ASSERT_TRUE(bed_->AddHostNamespace("peer20", "eth0", "10.89.0.1/24", "hvpeer20", &error))
        << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hvpeer20", "tag=20"}).ok());
  }
  static void TearDownTestSuite() {
    delete bed_;
    bed_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(bed_, nullptr);
    state_dir_ = "/tmp/hvagent-vmtest." + std::to_string(getpid());
    StartAgent();
    v1::CreateNetworkRequest net;
    net.set_name("vlan.10");
    net.set_vlan_id(10);
    v1::Network out;
    const grpc::Status s = networks()->CreateNetwork(Ctx().get(), net, &out);
    ASSERT_TRUE(s.ok() || s.error_code() == grpc::ALREADY_EXISTS) << s.error_message();
  }

  void TearDown() override {
    // Whatever a test left: power off and delete through the agent.
    DeleteEveryVm(*vms());
    agent_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  void StartAgent() {
    AgentOptions options = AgentOnTestbed(*bed_, agent_extra_args_, state_dir_);
    options.program = agent_program_;
    agent_ = StartAgentOrFail(options);
    ASSERT_NE(agent_, nullptr);
    if (!domain_type_reported_) {
      // Once per binary: which domain type the agent chose for these guests.
      v1::Host host;
      if (v1::HostService::NewStub(agent_->Channel())->GetHost(Ctx().get(), {}, &host).ok()) {
        std::cerr << "VM tests: guests run as " << host.domain_type_reason() << "\n";
        domain_type_reported_ = true;
      }
    }
  }

  std::unique_ptr<v1::VmService::Stub> vms() { return v1::VmService::NewStub(agent_->Channel()); }
  std::unique_ptr<v1::NetworkService::Stub> networks() {
    return v1::NetworkService::NewStub(agent_->Channel());
  }

  // A VM booting the test guest with one access NIC on vlan.10.
  v1::CreateVmRequest GuestVm(const std::string& name, const std::string& script) {
    v1::CreateVmRequest req = GuestVmRequest(name, script);
    req.mutable_spec()->add_nics()->set_network("vlan.10");
    return req;
  }

  // Creates `name` booting the test guest with `script` (GuestVm) and powers
  // it on; `vm` is then the VM as the agent shows it. Fails the test (call it
  // under ASSERT_NO_FATAL_FAILURE) if either step is refused.
  void CreateAndPowerOn(const std::string& name, const std::string& script, v1::Vm* vm) {
    ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm(name, script), vm).ok());
    ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, name, vm).ok());
  }

  // CreateAndPowerOn, then waits for `marker` on the guest's console. Call it
  // under ASSERT_NO_FATAL_FAILURE.
  void BootAndWaitFor(const std::string& name, const std::string& script, const std::string& marker,
                      v1::Vm* vm) {
    ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn(name, script, vm));
    ASSERT_TRUE(WaitForConsole(vm->console_log_path(), marker));
  }

  // A Shutdown of `name` that waits `timeout_seconds` for the guest, then
  // powers it off when `power_off_on_timeout`.
  static v1::ShutdownVmRequest ShutdownRequest(const std::string& name, uint32_t timeout_seconds,
                                               bool power_off_on_timeout) {
    v1::ShutdownVmRequest req;
    req.set_name(name);
    req.set_timeout_seconds(timeout_seconds);
    req.set_power_off_on_timeout(power_off_on_timeout);
    return req;
  }

  // VM `name` as the agent shows it now.
  grpc::Status GetVm(const std::string& name, v1::Vm* out) {
    v1::GetVmRequest req;
    req.set_name(name);
    return vms()->GetVm(Ctx().get(), req, out);
  }

  grpc::Status Power(grpc::Status (v1::VmService::Stub::*op)(grpc::ClientContext*,
                                                             const v1::VmPowerRequest&, v1::Vm*),
                     const std::string& name, v1::Vm* out) {
    v1::VmPowerRequest req;
    req.set_name(name);
    auto stub = vms();
    return ((*stub).*op)(Ctx().get(), req, out);
  }

  // `text` on the guest console logged at `path` within `seconds`; a failure
  // shows the console.
  ::testing::AssertionResult WaitForConsole(const std::string& path, const std::string& text,
                                            int seconds = 120) {
    ::testing::AssertionResult seen =
        Eventually([&] { return ReadFile(path).find(text) != std::string::npos; },
                   "'" + text + "' on the console", std::chrono::seconds(seconds));
    if (!seen) seen << "; the console:\n" << ReadFile(path);
    return seen;
  }

  // Creates network `name` on br0 and `vlan`, asserting it worked.
  void CreateNetwork(const std::string& name, uint32_t vlan) {
    v1::CreateNetworkRequest net;
    net.set_name(name);
    net.set_vlan_id(vlan);
    v1::Network out;
    const grpc::Status s = networks()->CreateNetwork(Ctx().get(), net, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::string PortColumn(const std::string& port, const std::string& column) {
    return Column("Port", port, column);
  }

  // A column of an OVSDB row as ovs-vsctl shows it, or "(missing)".
  std::string Column(const std::string& table, const std::string& row, const std::string& column) {
    auto r = bed_->Vsctl({"get", table, row, column});
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return r.ok() ? out : "(missing)";
  }

  inline static Testbed* bed_ = nullptr;
  inline static bool domain_type_reported_ = false;
  std::string state_dir_;
  // What StartAgent runs: hvagentd unless a test names another build of it.
  std::string agent_program_;
  std::vector<std::string> agent_extra_args_;
  std::unique_ptr<AgentProcess> agent_;
};

}  // namespace hvagent::testing
