// A VM's whole life on the hypervisor: define from a spec, read back, power
// operations, delete with everything the agent made for it. Devices are
// VmDeviceManager's, repair after restarts VmReconciler's. Blocking: callers
// run it on worker threads, one VM's operations in order.
#pragma once

#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hvagent/compute/device_names.h"
#include "hvagent/compute/disk_image.h"
#include "hvagent/compute/network_usage.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_config.h"
#include "hvagent/compute/vm_domains.h"
#include "hvagent/compute/vm_limits.h"

namespace hvagent::compute {

// What UpdateVm changes; unset fields keep their value.
struct VmUpdate {
  std::optional<uint32_t> vcpus;
  std::optional<uint32_t> cores_per_socket;
  std::optional<uint64_t> memory_bytes;
  std::optional<std::map<std::string, std::string>> labels;
  // 0: no check; else ABORTED unless it is the VM's generation.
  int64_t expected_generation = 0;
  // A retry of a call that was cut short: when the VM is already at
  // expected_generation + 1 with every value this update sets, that call
  // made it, and the update answers OK instead of ABORTED.
  bool resuming = false;

  // Whether `config` is what this update makes of generation
  // expected_generation (expected_generation + 1, every value set).
  bool MadeIn(const VmConfig& config) const;
};

class VmManager final : public NetworkUsage {
 public:
  using Options = VmLayerOptions;

  // Guests get the domain type the hypervisor reports.
  VmManager(Options options, VmDomains& domains, NicBackend& nics, NetworkResolver& networks)
      : options_(std::move(options)),
        images_(options_.qemu_img),
        paths_(HostPathsOf(options_)),
        domains_(domains),
        nics_(nics),
        networks_(networks) {}

  // Completes `config` (uuid, MACs, taps, bridges, disk files, console log)
  // and defines the domain, persistently and powered off. Disks with
  // agent_created and no path are created (sparse raw, or qcow2). On any
  // error nothing is left behind.
  StatusOr<VmStatus> Create(VmConfig config);
  StatusOr<VmStatus> Get(const std::string& name);
  StatusOr<std::vector<VmStatus>> List(bool include_external, const std::string& after = "",
                                       size_t limit = std::numeric_limits<size_t>::max());
  // Refused while running unless `force` (then powered off first). Removes the
  // NICs' taps and ports and the disk files it created — with `keep_disks`,
  // those stay under state_dir/disks/kept/ (same file name).
  Status Delete(const std::string& name, bool force, bool keep_disks);

  // Attaches the NICs (tap + port) before starting, so the guest's first
  // frame already finds the switch.
  StatusOr<VmStatus> PowerOn(const std::string& name);
  StatusOr<VmStatus> PowerOff(const std::string& name);
  // ACPI shutdown; waits up to `timeout`, then powers off when
  // `power_off_on_timeout`, else DEADLINE_EXCEEDED.
  StatusOr<VmStatus> Shutdown(const std::string& name, std::chrono::seconds timeout,
                              bool power_off_on_timeout);
  StatusOr<VmStatus> Reboot(const std::string& name);
  StatusOr<VmStatus> Reset(const std::string& name);
  StatusOr<VmStatus> Pause(const std::string& name);
  StatusOr<VmStatus> Resume(const std::string& name);

  // vCPUs and memory change while the VM is off (FAILED_PRECONDITION while it
  // runs); labels change at any time. Bumps the generation.
  StatusOr<VmStatus> Update(const std::string& name, const VmUpdate& update);

  // NetworkUsage.
  StatusOr<std::map<std::string, uint32_t>> NicCounts() override;
  // A random MAC no NIC on this host has, nor `taken` (VmDomains::FreshMac).
  std::string FreshMac(const std::set<std::string>& taken = {}) {
    return domains_.FreshMac(taken, RandomMac);
  }
  Status ChangeIfUnused(const std::string& network, const std::string& what,
                        const std::function<Status()>& change) override;

 private:
  // A power operation allowed in some states; asking for `already` (the
  // state it leads to) succeeds without acting.
  struct PowerChange {
    const char* verb;
    std::vector<DomainState> allowed;
    std::optional<DomainState> already;
    Status (HypervisorDomain::*operation)();
  };
  StatusOr<VmStatus> ChangePower(const std::string& name, PowerChange change);

  // Links the agent-created images of `config` under disks/kept/.
  Status KeepImages(const VmConfig& config);
  // The VMs (by name) with a NIC on `network`.
  StatusOr<std::vector<std::string>> VmsOn(const std::string& network);

  const Options options_;
  const DiskImageCreator images_;
  const HostPathPolicy paths_;
  VmDomains& domains_;
  NicBackend& nics_;
  NetworkResolver& networks_;
};

}  // namespace hvagent::compute
