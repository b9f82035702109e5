// One device's XML, as it appears in a VM's domain XML: what live hot-plug
// and unplug hand to libvirt.
#pragma once

#include <string>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// The <interface> element of the NIC with `mac` in BuildDomainXml(config).
StatusOr<std::string> NicDeviceXml(const VmConfig& config, const std::string& mac);

// The <disk> element of the disk at `target` in BuildDomainXml(config).
StatusOr<std::string> DiskDeviceXml(const VmConfig& config, const std::string& target);

// Whether `domain_xml` (a running domain's live XML) has the device of
// `device_xml`: an <interface> with the same MAC, a <disk> at the same target.
// How a change cut short between its live and persistent steps tells which
// it had done. INVALID_ARGUMENT when either does not parse.
StatusOr<bool> DomainHasDevice(std::string_view domain_xml, std::string_view device_xml);

}  // namespace hvagent::compute
