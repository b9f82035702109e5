// One device's XML, as it appears in a VM's domain XML: what live hot-plug
// and unplug hand to libvirt.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// The <interface> element of the NIC with `mac` in BuildDomainXml(config).
StatusOr<std::string> NicDeviceXml(const VmConfig& config, const std::string& mac);

// The <disk> element of the disk at `target` in BuildDomainXml(config).
StatusOr<std::string> DiskDeviceXml(const VmConfig& config, const std::string& target);

}  // namespace hvagent::compute
