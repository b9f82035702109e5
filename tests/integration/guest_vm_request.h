// The request every VM test starts from: the test guest (kernel and initrd,
// 1 vCPU, 256 MiB, machine "pc") running `script` as its init, output on its
// console; no NIC.
#pragma once

#include <string>

#include "hvagent/v1/vm.pb.h"
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

}  // namespace hvagent::testing
