// A VM's devices: NICs and disks added, changed and removed, hot-plugged
// into a running VM and kept in its definition. Blocking: callers run it on
// worker threads, in the VM's order.
#pragma once

#include <memory>
#include <string>

#include "hvagent/compute/disk_image.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_domains.h"
#include "hvagent/compute/vm_limits.h"

namespace hvagent::compute {

class VmDeviceManager {
 public:
  using Options = VmLayerOptions;

  VmDeviceManager(Options options, VmDomains& domains, NicBackend& nics, NetworkResolver& networks)
      : options_(std::move(options)),
        images_(options_.qemu_img),
        paths_(HostPathsOf(options_)),
        domains_(domains),
        nics_(nics),
        networks_(networks) {}

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
  // given file or block device) at disk.target, or else the next free one:
  // hot-plugged into a running VM and kept in the definition. On any error
  // nothing is left. `resuming`: a retry of an add cut short, whose image at
  // the target may exist already (made again from nothing).
  StatusOr<VmStatus> AddDisk(const std::string& name, DiskConfig disk, bool resuming = false);
  // Removes the disk at `target` ("sdb"): unplugged from a running VM, then,
  // unless `keep_volume`, its image goes if the agent created it.
  StatusOr<VmStatus> RemoveDisk(const std::string& name, const std::string& target,
                                bool keep_volume);

 private:
  // Unplugs `device` from the VM if it runs, then defines `config` (the VM
  // without that device) as its next generation; when that fails, the device
  // is plugged back in.
  StatusOr<std::unique_ptr<HypervisorDomain>> UnplugAndDefine(VmDomains::Owned& vm, VmConfig config,
                                                              const std::string& device);

  const Options options_;
  const DiskImageCreator images_;
  const HostPathPolicy paths_;
  VmDomains& domains_;
  NicBackend& nics_;
  NetworkResolver& networks_;
};

}  // namespace hvagent::compute
