// A VM's whole life on the hypervisor: define from a spec, read back, power
// operations, delete with everything the agent made for it. Blocking: callers
// run it on worker threads, one VM's operations in order.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hvagent/compute/disk_image.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/compute/network_usage.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

struct VmLimits {
  uint32_t max_vcpus = 0;
  uint64_t max_memory_bytes = 0;
  uint64_t max_disk_bytes = 0;
  uint32_t max_nics = 0;
  uint32_t max_disks = 0;
};

// What UpdateVm changes; unset fields keep their value.
struct VmUpdate {
  std::optional<uint32_t> vcpus;
  std::optional<uint32_t> cores_per_socket;
  std::optional<uint64_t> memory_bytes;
  std::optional<std::map<std::string, std::string>> labels;
  // 0: no check; else ABORTED unless it is the VM's generation.
  int64_t expected_generation = 0;
};

struct VmStatus {
  VmConfig config;
  DomainState state = DomainState::kNoState;
  uint64_t cpu_time_ns = 0;
  uint64_t memory_used_bytes = 0;
  // When the agent powered on the current run (unset when off, or when the
  // run was started outside the agent), ms since the epoch.
  std::optional<int64_t> started_unix_ms;
};

class VmManager final : public NetworkUsage {
 public:
  struct Options {
    // Disk images the agent creates and console logs live under here.
    std::string state_dir;
    VmLimits limits;
    // Makes qcow2 images.
    std::string qemu_img = "/usr/bin/qemu-img";
  };

  // Guests get the domain type `hypervisor` reports.
  VmManager(Options options, Hypervisor& hypervisor, NicBackend& nics, NetworkResolver& networks)
      : options_(std::move(options)),
        images_(options_.qemu_img),
        hypervisor_(hypervisor),
        nics_(nics),
        networks_(networks) {}

  // Completes `config` (uuid, MACs, taps, bridges, disk files, console log)
  // and defines the domain, persistently and powered off. Disks with
  // agent_created and no path are created (sparse raw, or qcow2). On any
  // error nothing is left behind.
  StatusOr<VmStatus> Create(VmConfig config);
  StatusOr<VmStatus> Get(const std::string& name);
  StatusOr<std::vector<VmStatus>> List(bool include_external);
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

  // After the agent or a backend restarts: the running VMs the agent owns…
  StatusOr<std::vector<std::string>> RunningVmNames();
  // …each of which (if still running) gets its taps and ports made sure of.
  // Re-plugging is idempotent: ports that are right stay untouched. Deletes
  // nothing. Run it in the VM's order, like any change to it.
  Status ReconcileVm(const std::string& name);
  // Removes what is provably the agent's own leftover, of VMs that no longer
  // exist — say, after an agent killed between undefining a VM and unplugging
  // its ports, or between creating a VM's images and defining it: NICs (ports
  // tagged owner=hvagent, and their taps) and images under disks/ named for
  // the VM's UUID (images kept by Delete live under disks/kept/ and are never
  // touched). Returns what it removed; removes nothing when the domain list
  // cannot be read.
  StatusOr<std::vector<std::string>> RemoveLeftovers();

  // Devices (vm_manager_devices.cc).

  // Adds a NIC (network, and optionally mac, model, VLAN mode): hot-plugged
  // into a running VM after its tap is plugged, and kept in the definition.
  StatusOr<VmStatus> AddNic(const std::string& name, NicConfig nic);
  // Removes the NIC with `mac`: unplugged from a running VM, then its port
  // and tap go.
  StatusOr<VmStatus> RemoveNic(const std::string& name, const std::string& mac);
  // Changes a NIC's network, VLAN mode or trunked VLANs (mac, model and type
  // stay): on a running VM its port changes in one transaction, never
  // unplugged. Bumps the generation.
  StatusOr<VmStatus> UpdateNic(const std::string& name, const std::string& mac,
                               const NicConfig& nic);

  // Adds a disk (an agent-created image when disk.agent_created, else the
  // given file or block device) at the next free target: hot-plugged into a
  // running VM and kept in the definition. On any error nothing is left.
  StatusOr<VmStatus> AddDisk(const std::string& name, DiskConfig disk);
  // Removes the disk at `target` ("sdb"): unplugged from a running VM, then,
  // unless `keep_volume`, its image goes if the agent created it.
  StatusOr<VmStatus> RemoveDisk(const std::string& name, const std::string& target,
                                bool keep_volume);

  // NetworkUsage.
  StatusOr<std::map<std::string, uint32_t>> NicCounts() override;
  Status ChangeIfUnused(const std::string& network, const std::string& what,
                        const std::function<Status()>& change) override;

 private:
  // The domain named `name` (NOT_FOUND naming the VM when there is none).
  StatusOr<std::unique_ptr<HypervisorDomain>> Lookup(const std::string& name);
  // The domain, and its config, refusing domains the agent did not create.
  struct Owned {
    std::unique_ptr<HypervisorDomain> domain;
    VmConfig config;
  };
  StatusOr<Owned> LookupOwned(const std::string& name);
  // A power operation allowed in some states; asking for `already` (the
  // state it leads to) succeeds without acting.
  struct PowerChange {
    const char* verb;
    std::vector<DomainState> allowed;
    std::optional<DomainState> already;
    Status (HypervisorDomain::*operation)();
  };
  StatusOr<VmStatus> ChangePower(const std::string& name, PowerChange change);
  StatusOr<VmStatus> StatusOf(HypervisorDomain& domain);
  Status CheckLimits(const VmConfig& config) const;

  // Unplugs `device` from the VM if it runs, then defines `config` (the VM
  // without that device) as its next generation; when that fails, the device
  // is plugged back in.
  StatusOr<std::unique_ptr<HypervisorDomain>> UnplugAndDefine(Owned& vm, VmConfig config,
                                                              const std::string& device);
  // Links the agent-created images of `config` under disks/kept/.
  Status KeepImages(const VmConfig& config);
  // The VMs (by name) with a NIC on `network`.
  StatusOr<std::vector<std::string>> VmsOn(const std::string& network);

  const Options options_;
  const DiskImageCreator images_;
  // Shared while a NIC joins a network (resolve … define); exclusive while a
  // network changes only if unused, so no NIC joins it meanwhile.
  std::shared_mutex network_use_mu_;
  // Shared from creating an image until a domain names it; exclusive while
  // RemoveLeftovers decides which images belong to no domain.
  std::shared_mutex images_mu_;
  Hypervisor& hypervisor_;
  NicBackend& nics_;
  NetworkResolver& networks_;
};

}  // namespace hvagent::compute
