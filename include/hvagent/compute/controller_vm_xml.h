// The Controller VM's domain, pure: spec -> libvirt domain XML (golden-tested)
// and back to the facts GetControllerVm reports.
//
// The CVM is a persistent domain named NTNX-<host>-CVM. Each passed endpoint is
// a managed <hostdev> (libvirt hands it to vfio-pci at start if the agent has
// not already). Its vCPUs are pinned (<vcpupin>) and its memory bound
// (<numatune mode='strict'>) to the NUMA node its controllers hang off, with
// locked memory (VFIO pins guest RAM anyway). NICs: br0 (external, OVS) and
// virbr0 (internal: the host is 192.168.5.1 from the CVM, the CVM
// 192.168.5.254 from the host).
//
// CPU model: host-model, never the cluster baseline. The CVM never migrates
// (its controllers are this host's hardware), so a baseline change never has
// to touch it; host-model is re-evaluated at each start, so a BIOS, microcode
// or CPU change during host maintenance cannot leave a named model the host
// no longer offers and the CVM unbootable. See docs/cvm.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/pci/pci_inventory.h"

namespace hvagent::compute {

// The CVM metadata namespace (<hvcvm:cvm> under <metadata>).
inline constexpr std::string_view kControllerVmNamespace = "https://hvagent.dev/xmlns/cvm/1";

// "NTNX-<host>-CVM".
std::string ControllerVmName(const std::string& host_name);

struct ControllerVmSpec {
  std::string name;  // NTNX-<host>-CVM
  std::string uuid;
  uint32_t num_vcpus = 0;
  uint64_t memory_bytes = 0;  // a whole number of MiB
  // The selected controllers (recorded in the metadata with their
  // vendor:device) and every endpoint to pass (their whole IOMMU groups).
  std::vector<pci::PciDevice> controllers;
  std::vector<pci::PciDevice> endpoints;
  // The node to pin to, and its CPUs as a libvirt cpuset ("0-7,16-23");
  // -1: the platform has no NUMA information, nothing is pinned.
  int numa_node = -1;
  std::string numa_node_cpus;
  std::string external_bridge = "br0";
  std::string internal_bridge = "virbr0";
  std::string external_mac;  // empty: libvirt chooses
  std::string internal_mac;
  // The CVM's own boot disk (raw or qcow2 file); empty for none.
  std::string system_disk_path;
  // "kvm" on a host, "qemu" where KVM is unusable (tests).
  std::string domain_type = "kvm";
};

// INVALID_ARGUMENT naming the field for a bad spec (no endpoint, 0 vCPUs,
// memory not in MiB, NUMA node without CPUs...).
StatusOr<std::string> BuildControllerVmXml(const ControllerVmSpec& spec);

// What a defined CVM's XML says, for GetControllerVm and for the tests that
// read libvirt's dumpxml back.
struct ControllerVmFacts {
  std::string name;
  std::string uuid;
  uint32_t num_vcpus = 0;
  uint64_t memory_bytes = 0;
  std::vector<std::string> hostdev_addresses;  // "0000:3b:00.0", in order
  std::vector<std::string> controllers;        // "0000:3b:00.0 1000:0097" from the metadata
  std::vector<std::string> vcpupin_cpusets;    // one per vCPU
  std::string numatune_mode;
  std::string numatune_nodeset;
  bool memory_locked = false;
  std::vector<std::string> bridges;  // NIC source bridges, in order
};
StatusOr<ControllerVmFacts> ParseControllerVmXml(const std::string& xml);

}  // namespace hvagent::compute
