// A VM as the compute module sees it: plain structs, free of libvirt and of
// the generated proto types, so that spec ⇄ domain XML translation stays pure
// and testable with golden files. The api layer converts hvagent.v1.VmSpec to
// and from these; field comments name the proto field each one carries.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/nic_qos.h"
#include "hvagent/common/nic_type.h"

namespace hvagent::compute {

// <domain type=…>: kvm needs /dev/kvm; qemu is TCG emulation (testbeds).
enum class DomainType { kKvm, kQemu };

// VmSpec.boot.device; kKernel is direct kernel boot.
enum class BootDevice { kDisk, kCdrom, kNetwork, kKernel };

// NicSpec.vlan_mode (acli's kAccess / kTrunked).
enum class VlanMode { kAccess, kTrunked };

// DiskSpec.bus; kScsi is virtio-scsi.
enum class DiskBus { kScsi, kVirtio, kSata, kIde };

// DiskSpec.format.
enum class DiskFormat { kRaw, kQcow2 };

// Whether a disk's backing is a file (DiskSpec.file_path / create_size_bytes)
// or a block device (DiskSpec.block_device).
enum class DiskSourceType { kFile, kBlock };

struct NicConfig {
  // Nic.mac: "52:54:00:xx:xx:xx", lowercase, unicast.
  std::string mac;
  // NicSpec.network: the native (access) network's name, e.g. "vlan.10";
  // empty for a kNetworkFunction NIC.
  std::string network;
  // NicSpec.type and network_function_role (common/nic_type.h).
  NicType type = NicType::kNormal;
  NetworkFunctionRole role = NetworkFunctionRole::kNone;
  // NicSpec.model: virtio, e1000 or rtl8139.
  std::string model = "virtio";
  VlanMode vlan_mode = VlanMode::kAccess;
  // NicSpec.trunked_vlans: carried tagged when vlan_mode is kTrunked.
  std::vector<uint32_t> trunked_vlans;
  // Nic.tap: the host tap device, ≤ 15 characters (see TapNameFor). The agent
  // creates it and plugs it into OVS; libvirt only opens it (managed='no').
  std::string tap;
  // The OVS bridge of the NIC's network (br0 for most). The tap's port is on
  // the bridge the switch's layout gives the NIC's type (br0.local for a
  // kNormal NIC of a br0 network; see network::VmPortBridge); empty for a
  // kNetworkFunction NIC.
  std::string bridge;
  // The native network's VLAN (0: untagged), resolved by the network module.
  uint32_t vlan_id = 0;
  NicQos qos;

  friend bool operator==(const NicConfig&, const NicConfig&) = default;
};

struct DiskConfig {
  // The guest-visible target, "sda", "sdb"… (see NextDiskTarget).
  std::string target;
  DiskBus bus = DiskBus::kScsi;
  DiskSourceType source_type = DiskSourceType::kFile;
  // Disk.path: the backing file or block device; empty only for an empty cdrom.
  std::string path;
  DiskFormat format = DiskFormat::kRaw;
  bool cdrom = false;
  // A cdrom is always read-only (libvirt reports it so).
  bool read_only = false;
  // Disk.agent_created: the agent created the volume and deletes it with the disk.
  bool agent_created = false;
  // Disk.size_bytes: the created size (DiskSpec.create_size_bytes).
  uint64_t size_bytes = 0;

  friend bool operator==(const DiskConfig&, const DiskConfig&) = default;
};

struct VmConfig {
  std::string name;
  // Canonical lowercase 8-4-4-4-12.
  std::string uuid;
  DomainType domain_type = DomainType::kQemu;
  // spec.num_vcpus = sockets × cores_per_socket × threads_per_core.
  uint32_t vcpus = 1;
  // spec.num_cores_per_vcpu.
  uint32_t cores_per_socket = 1;
  // spec.num_threads_per_core.
  uint32_t threads_per_core = 1;
  // spec.memory_bytes: a multiple of 1 MiB, at least 16 MiB.
  uint64_t memory_bytes = 0;
  // spec.machine_type, e.g. "q35" or "pc-q35-7.2".
  std::string machine = "q35";
  BootDevice boot = BootDevice::kDisk;
  // spec.boot.*: only with BootDevice::kKernel.
  std::string kernel_path;
  std::string initrd_path;
  std::string kernel_cmdline;
  std::vector<NicConfig> nics;
  std::vector<DiskConfig> disks;
  // The serial console's log file; empty for a pty console.
  std::string console_log_path;
  // A CPU model from libvirt's baseline (<cpu> with <model>, <vendor>,
  // <feature>); empty for mode='host-model'. See CanonicalCpuBaselineXml.
  std::string cpu_baseline_xml;
  // spec.cpu_model_override: a named CPU model ("Westmere") this VM runs at
  // instead of the cluster baseline, for moves across clusters (AHV's
  // Advanced Processor Compatibility). Empty: the baseline, if one is set.
  std::string cpu_model_override;
  std::map<std::string, std::string> labels;
  // The NICs the domain keeps PCI slots for (nics_per_vm, set by the VM
  // layer): on q35 only a free pcie-root-port takes a hot-plugged device, so
  // the domain gets enough of them for this many NICs. 0: the NICs it has,
  // and whatever spare port libvirt adds (domains defined before slots were
  // reserved). Kept in the metadata.
  uint32_t nic_slots = 0;
  int64_t generation = 1;
  // True when parsed from a domain without hvagent metadata: the agent lists
  // such domains but never changes them.
  bool external = false;

  friend bool operator==(const VmConfig&, const VmConfig&) = default;
};

// A q35 machine ("q35", "pc-q35-7.2"): PCI Express, no IDE, hot-plug only
// into pcie-root-ports; otherwise i440fx ("pc"), hot-plug into pci.0's slots.
inline bool IsQ35(std::string_view machine) {
  return machine.find("q35") != std::string_view::npos;
}

}  // namespace hvagent::compute
