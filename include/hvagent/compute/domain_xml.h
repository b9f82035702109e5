// VmConfig ⇄ libvirt domain XML, both ways, with pugixml (never string
// concatenation: pugixml escapes every text and attribute).
//
// The agent's own data goes into <metadata> under
// https://hvagent.dev/xmlns/vm/1, so that ParseDomainXml rebuilds the exact
// VmConfig from libvirt alone after an agent restart: owner, generation,
// labels, NIC networks and VLAN modes, which disks it created, and what
// libvirt itself rewrites: the machine type asked for (libvirt replaces "q35"
// by "pc-q35-7.2"), the CPU baseline asked for (a running domain's <cpu> is
// the CPU QEMU got, with more features) and the order of disks and NICs
// (libvirt sorts disks by bus). Golden files: tests/unit/testdata/domain_xml/.
#pragma once

#include <string>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// The namespace of the agent's <metadata> element.
inline constexpr std::string_view kMetadataNamespace = "https://hvagent.dev/xmlns/vm/1";

// Checks every rule a VmConfig must meet before it becomes a domain; the
// error is INVALID_ARGUMENT naming the field as hvagent.v1 does (for example
// "spec.num_vcpus", "spec.nics[1].mac", "nics[0].tap").
Status ValidateVmConfig(const VmConfig& config);
// The rules of one NIC, its fields named under `field` ("spec" for a NIC
// added or changed on its own: "spec.mac", "spec.trunked_vlans[0]").
Status ValidateNicConfig(const NicConfig& nic, std::string_view field);
// The rules of one disk, its fields named under `field` ("spec.disks[2]", or
// "spec" for a disk added on its own).
Status ValidateDiskConfig(const DiskConfig& disk, std::string_view field, std::string_view machine);

// The domain XML for `config` (validated first). The output is deterministic:
// the same config always gives the same bytes.
StatusOr<std::string> BuildDomainXml(const VmConfig& config);

// Reads a domain XML as libvirt returns it, live or persistent (ignoring what
// libvirt adds: addresses, aliases, controllers, seclabels…). Without hvagent
// metadata the result has external = true and what could be read (devices a
// VmConfig cannot describe are skipped). Malformed XML, or a device the agent
// cannot describe in a domain it owns, is INVALID_ARGUMENT.
StatusOr<VmConfig> ParseDomainXml(std::string_view xml);

// The canonical form of a CPU baseline (a <cpu> element with one <model>, an
// optional <vendor> and <feature>s, as virConnectBaselineHypervisorCPU
// returns): <cpu mode='custom' match='exact'> with only those children, their
// attributes in libvirt's order and its defaults made explicit (model
// fallback='allow', feature policy='require'), on one line. ParseDomainXml
// returns cpu_baseline_xml in this form, so a config round-trips exactly when
// its baseline is canonical.
StatusOr<std::string> CanonicalCpuBaselineXml(std::string_view xml);

}  // namespace hvagent::compute
