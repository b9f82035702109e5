// Names the agent picks for a VM's devices.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// The host tap device for a NIC: "hvt" followed by the first 12 hex digits
// (the high 48 bits) of the 64-bit FNV-1a hash of `vm_uuid` then `mac`, 15
// characters in all (Linux's IFNAMSIZ limit). Deterministic, so a restarted
// agent finds the same tap again; the uuid keeps two VMs that reuse a MAC
// apart.
std::string TapNameFor(std::string_view vm_uuid, std::string_view mac);
// Whether `name` has TapNameFor's shape: a tap only the agent names so.
bool IsAgentTapName(std::string_view name);

// A random MAC under QEMU/KVM's locally administered prefix 52:54:00.
std::string RandomMac();

// The first of "sda", "sdb", … "sdz", "sdaa", "sdab", … that no disk in
// `disks` uses as its target (libvirt's own disk-name order).
std::string NextDiskTarget(const std::vector<DiskConfig>& disks);

}  // namespace hvagent::compute
