// The Controller VM's protection through VmService on a real agent: a running
// VM named NTNX-<host>-CVM (the name this host's CVM has) cannot be powered
// off, shut down, reset, paused, updated or deleted without
// controller_vm_override {force, reason}; each refusal is FAILED_PRECONDITION
// with the VM unchanged, and each forced variant goes through, is published
// as a ControllerVmEvent, and the CVM's state shows in GetHost.
#include <unistd.h>

#include <array>

#include "event_watch.h"
#include "hvagent_test/subprocess.h"
#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;

std::string CvmName() {
  std::array<char, 256> buf{};
  EXPECT_EQ(gethostname(buf.data(), buf.size() - 1), 0);
  return "NTNX-" + std::string(buf.data()) + "-CVM";
}

class CvmProtectionTest : public VmApiTest {
 protected:
  v1::Vm Get() {
    v1::GetVmRequest req;
    req.set_name(CvmName());
    v1::Vm vm;
    const grpc::Status s = vms()->GetVm(Ctx().get(), req, &vm);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return vm;
  }
  // The VM as a refusal must leave it: same power state and generation.
  void ExpectUnchanged(const v1::Vm& before, const std::string& what) {
    const v1::Vm after = Get();
    EXPECT_EQ(after.power_state(), before.power_state()) << what;
    EXPECT_EQ(after.generation(), before.generation()) << what;
    EXPECT_EQ(after.spec().num_vcpus(), before.spec().num_vcpus()) << what;
  }
  static void ExpectRefused(const grpc::Status& s, const std::string& what) {
    EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << what << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("the Controller VM serves this host's storage"))
        << what;
  }
  static v1::ControllerVmOverride Forced(const std::string& reason) {
    v1::ControllerVmOverride o;
    o.set_force(true);
    o.set_reason(reason);
    return o;
  }
  v1::VmPowerRequest PowerReq(const v1::ControllerVmOverride* o = nullptr) {
    v1::VmPowerRequest req;
    req.set_name(CvmName());
    if (o) *req.mutable_controller_vm_override() = *o;
    return req;
  }
};

TEST_F(CvmProtectionTest, EveryStopIsRefusedUnlessForcedWithAReason) {
  const std::string name = CvmName();
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn(name, "sleep 100000", &vm));
  const v1::Vm running = Get();
  ASSERT_EQ(running.power_state(), v1::POWER_STATE_ON);

  // Each refusal, the VM unchanged after it.
  auto stub = vms();
  v1::Vm out;
  ExpectRefused(stub->PowerOff(Ctx().get(), PowerReq(), &out), "PowerOff");
  ExpectUnchanged(running, "PowerOff");
  ExpectRefused(stub->Reset(Ctx().get(), PowerReq(), &out), "Reset");
  ExpectUnchanged(running, "Reset");
  ExpectRefused(stub->Pause(Ctx().get(), PowerReq(), &out), "Pause");
  ExpectUnchanged(running, "Pause");
  v1::ShutdownVmRequest shutdown;
  shutdown.set_name(name);
  shutdown.set_timeout_seconds(5);
  shutdown.set_power_off_on_timeout(true);
  ExpectRefused(stub->Shutdown(Ctx().get(), shutdown, &out), "Shutdown");
  ExpectUnchanged(running, "Shutdown");
  v1::UpdateVmRequest update;
  update.set_name(name);
  update.set_num_vcpus(2);
  ExpectRefused(stub->UpdateVm(Ctx().get(), update, &out), "UpdateVm");
  ExpectUnchanged(running, "UpdateVm");
  v1::DeleteVmRequest del;
  del.set_name(name);
  del.set_force(true);  // "power off first" is not the CVM override
  v1::DeleteVmResponse deleted;
  ExpectRefused(stub->DeleteVm(Ctx().get(), del, &deleted), "DeleteVm");
  ExpectUnchanged(running, "DeleteVm");
  // Moving it away stops it serving this host's storage just the same.
  v1::MigrateVmRequest migrate;
  migrate.set_name(name);
  migrate.set_destination("unix:/nonexistent/hvagent.sock");
  migrate.set_destination_libvirt_uri("qemu+tcp://192.0.2.1/system");
  migrate.set_live(true);
  v1::Migration migration;
  ExpectRefused(stub->MigrateVm(Ctx().get(), migrate, &migration), "MigrateVm");
  ExpectUnchanged(running, "MigrateVm");
  // Force without a reason is not enough.
  v1::ControllerVmOverride no_reason;
  no_reason.set_force(true);
  EXPECT_EQ(stub->PowerOff(Ctx().get(), PowerReq(&no_reason), &out).error_code(),
            grpc::INVALID_ARGUMENT);
  ExpectUnchanged(running, "PowerOff forced without reason");

  // The same through hvctl: refused, then forced with force_cvm= and reason=.
  const std::string hvctl = BuildDir() + "/src/cli/hvctl";
  const std::string endpoint = "unix:" + agent_->socket();
  const ProcessResult cli_refused = RunProcess({hvctl, "--endpoint", endpoint, "vm.off", name});
  EXPECT_NE(cli_refused.exit_code, 0);
  EXPECT_THAT(cli_refused.err + cli_refused.out,
              HasSubstr("the Controller VM serves this host's storage"));
  ExpectUnchanged(running, "hvctl vm.off");
  const ProcessResult cli_forced = RunProcess(
      {hvctl, "--endpoint", endpoint, "vm.reset", name, "force_cvm=true", "reason=hvctl test"});
  EXPECT_EQ(cli_forced.exit_code, 0) << cli_forced.err;
  EXPECT_THAT(agent_->log(), HasSubstr("FORCED Reset of the Controller VM"));

  v1::Host host;
  ASSERT_TRUE(v1::HostService::NewStub(agent_->Channel())->GetHost(Ctx().get(), {}, &host).ok());
  EXPECT_EQ(host.controller_vm_state(), "running");

  // The forced variants, each published as an event.
  EventWatch events(agent_->Channel(), EventWatch::Of(v1::EVENT_KIND_CONTROLLER_VM), 120);

  auto forced = Forced("test: reset a hung CVM");
  ASSERT_TRUE(stub->Reset(Ctx().get(), PowerReq(&forced), &out).ok());
  EXPECT_EQ(Get().power_state(), v1::POWER_STATE_ON);
  forced = Forced("test: pause");
  ASSERT_TRUE(stub->Pause(Ctx().get(), PowerReq(&forced), &out).ok());
  EXPECT_EQ(Get().power_state(), v1::POWER_STATE_PAUSED);
  ASSERT_TRUE(stub->Resume(Ctx().get(), PowerReq(), &out).ok());  // never guarded
  *shutdown.mutable_controller_vm_override() = Forced("test: shutdown");
  ASSERT_TRUE(stub->Shutdown(Ctx().get(), shutdown, &out).ok());
  EXPECT_EQ(Get().power_state(), v1::POWER_STATE_OFF);
  ASSERT_TRUE(stub->PowerOn(Ctx().get(), PowerReq(), &out).ok());  // never guarded
  forced = Forced("test: power off");
  ASSERT_TRUE(stub->PowerOff(Ctx().get(), PowerReq(&forced), &out).ok());
  EXPECT_EQ(Get().power_state(), v1::POWER_STATE_OFF);
  *update.mutable_controller_vm_override() = Forced("test: more vCPUs");
  ASSERT_TRUE(stub->UpdateVm(Ctx().get(), update, &out).ok());
  EXPECT_EQ(Get().spec().num_vcpus(), 2u);
  *del.mutable_controller_vm_override() = Forced("test: decommission");
  ASSERT_TRUE(stub->DeleteVm(Ctx().get(), del, &deleted).ok());

  std::vector<std::string> seen;
  v1::Event event;
  while (seen.size() < 6 && events.Read(&event)) {
    EXPECT_EQ(event.object_name(), name);
    EXPECT_EQ(event.controller_vm().change(), "forced-action");
    seen.push_back(event.controller_vm().action() + ": " + event.controller_vm().reason());
  }
  events.Close();
  EXPECT_THAT(seen,
              ::testing::ElementsAre("Reset: test: reset a hung CVM", "Pause: test: pause",
                                     "Shutdown: test: shutdown", "PowerOff: test: power off",
                                     "UpdateVm: test: more vCPUs", "DeleteVm: test: decommission"));
  EXPECT_THAT(agent_->log(), HasSubstr("FORCED PowerOff of the Controller VM"));
}

// The PCI and CVM methods against this machine's own sysfs: it has no IOMMU
// (and no VFIO), and its root filesystem is on a virtio disk, so the agent
// offers no controller and says why; nothing is configured.
TEST_F(CvmProtectionTest, ThisHostsOwnControllersAreRefusedWithReasons) {
  auto host = v1::HostService::NewStub(agent_->Channel());
  v1::ListPciDevicesRequest list;
  list.set_class_filter("storage");
  v1::ListPciDevicesResponse devices;
  const grpc::Status listed = host->ListPciDevices(Ctx().get(), list, &devices);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  EXPECT_FALSE(devices.iommu_enabled());
  bool root_controller_found = false;
  for (const v1::PciDevice& d : devices.devices()) {
    EXPECT_EQ(d.device_class(), "storage");
    EXPECT_FALSE(d.assignable()) << d.address();
    EXPECT_THAT(d.not_assignable_reason(), HasSubstr("the IOMMU is off"));
    for (const std::string& reason : d.not_assignable_reasons()) {
      if (reason.find("holds the host's root, boot or swap") != std::string::npos &&
          reason.find("is mounted at /") != std::string::npos) {
        root_controller_found = true;
      }
    }
  }
  EXPECT_TRUE(root_controller_found) << devices.DebugString();

  v1::ControllerVm cvm;
  ASSERT_TRUE(host->GetControllerVm(Ctx().get(), {}, &cvm).ok());
  EXPECT_FALSE(cvm.defined());
  EXPECT_EQ(cvm.name(), CvmName());
  EXPECT_EQ(cvm.internal_address(), "192.168.5.254");

  ASSERT_GT(devices.devices_size(), 0);
  v1::ConfigureControllerVmRequest configure;
  auto* c = configure.add_storage_controllers();
  c->set_address(devices.devices(0).address());
  c->set_vendor_id(devices.devices(0).vendor_id());
  c->set_device_id(devices.devices(0).device_id());
  configure.set_num_vcpus(2);
  configure.set_memory_bytes(uint64_t{1} << 30);
  const grpc::Status refused = host->ConfigureControllerVm(Ctx().get(), configure, &cvm);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr(devices.devices(0).address()));
  ASSERT_TRUE(host->GetControllerVm(Ctx().get(), {}, &cvm).ok());
  EXPECT_FALSE(cvm.defined());
  v1::Host facts;
  ASSERT_TRUE(host->GetHost(Ctx().get(), {}, &facts).ok());
  EXPECT_EQ(facts.controller_vm_state(), "not-configured");
}

}  // namespace
}  // namespace hvagent::testing
