// The request every VM test starts from: the test guest (kernel and initrd,
// 1 vCPU, 256 MiB, machine "pc") running `script` as its init, output on its
// console; no NIC. And the clean-up every VM test ends with.
#pragma once

#include <string>

#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/test_guest.h"

namespace hvagent::testing {

inline v1::CreateVmRequest GuestVmRequest(const std::string& name, const std::string& script) {
  v1::CreateVmRequest req;
  v1::VmSpec* spec = req.mutable_spec();
  spec->set_name(name);
  spec->set_num_vcpus(1);
  spec->set_memory_bytes(256ULL << 20);
  spec->set_machine_type("pc");
  const TestGuestImage image = DefaultTestGuest();
  spec->mutable_boot()->set_device(v1::BOOT_DEVICE_KERNEL);
  spec->mutable_boot()->set_kernel_path(image.kernel);
  spec->mutable_boot()->set_initrd_path(image.initrd);
  spec->mutable_boot()->set_kernel_cmdline(GuestCmdline(script));
  return req;
}

// Whatever VMs a test left on the agent behind `vms`: powered off and deleted
// (best effort: an agent that does not answer is left as it is).
inline void DeleteEveryVm(v1::VmService::Stub& vms) {
  v1::ListVmsResponse list;
  if (!vms.ListVms(Ctx().get(), {}, &list).ok()) return;
  for (const auto& vm : list.vms()) {
    v1::DeleteVmRequest del;
    del.set_name(vm.spec().name());
    del.set_force(true);
    v1::DeleteVmResponse ignored;
    vms.DeleteVm(Ctx().get(), del, &ignored);
  }
}

}  // namespace hvagent::testing
