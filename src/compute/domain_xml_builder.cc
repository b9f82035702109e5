// BuildDomainXml: VmConfig → libvirt domain XML. Elements and attributes are
// written in a fixed order (libvirt's own where it has one) so that golden
// files stay byte-stable.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "cpu_model.h"
#include "domain_xml_names.h"
#include "hvagent/compute/domain_xml.h"

namespace hvagent::compute {

namespace {

using internal::NameOf;

// pugixml copies the value, so temporaries are fine.
void SetText(pugi::xml_node node, const std::string& text) { node.text() = text.c_str(); }

void AddAttribute(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name) = value.c_str();
}

pugi::xml_node AddTextChild(pugi::xml_node parent, const char* name, const std::string& text) {
  pugi::xml_node child = parent.append_child(name);
  SetText(child, text);
  return child;
}

std::string JoinVlans(const std::vector<uint32_t>& vlans) {
  std::string out;
  for (const uint32_t vlan : vlans) {
    if (!out.empty()) out += ',';
    out += std::to_string(vlan);
  }
  return out;
}

// <hvagent:vm>: what libvirt has no place for. Optional attributes are left
// out when they hold their default, which the parser restores. Every disk and
// NIC is listed, in config order: libvirt sorts disks by bus and index when
// it defines a domain, and this list restores the caller's order.
void AddMetadata(const VmConfig& c, const std::optional<internal::CpuModel>& baseline,
                 pugi::xml_node domain) {
  const std::string p = std::string(internal::kMetadataPrefix) + ":";
  const auto name = [&p](const char* local) { return p + local; };
  pugi::xml_node vm = domain.append_child("metadata").append_child(name("vm").c_str());
  AddAttribute(vm, ("xmlns:" + std::string(internal::kMetadataPrefix)).c_str(),
               std::string(kMetadataNamespace));
  AddTextChild(vm, name("owner").c_str(), std::string(internal::kOwner));
  AddTextChild(vm, name("generation").c_str(), std::to_string(c.generation));
  // libvirt replaces an alias such as "q35" by the machine it stands for
  // ("pc-q35-7.2"): keep what was asked for.
  AddTextChild(vm, name("machine").c_str(), c.machine);
  // A running domain's live XML shows the CPU QEMU really got (check='full',
  // more features; a host-model CPU expanded into a custom one): keep the
  // baseline that was asked for. Absent: host-model.
  if (baseline) {
    internal::AppendCanonicalCpu(*baseline, vm.append_child(name("cpu-baseline").c_str()));
  }
  if (!c.cpu_model_override.empty()) {
    AddTextChild(vm, name("cpu-model-override").c_str(), c.cpu_model_override);
  }
  if (c.nic_slots != 0) AddTextChild(vm, name("nic-slots").c_str(), std::to_string(c.nic_slots));
  if (!c.labels.empty()) {
    pugi::xml_node labels = vm.append_child(name("labels").c_str());
    for (const auto& [key, value] : c.labels) {  // std::map: sorted, so stable
      pugi::xml_node label = labels.append_child(name("label").c_str());
      AddAttribute(label, "key", key);
      AddAttribute(label, "value", value);
    }
  }
  for (const NicConfig& nic : c.nics) {
    pugi::xml_node node = vm.append_child(name("nic").c_str());
    AddAttribute(node, "mac", nic.mac);
    if (!nic.network.empty()) AddAttribute(node, "network", nic.network);
    if (nic.type != NicType::kNormal) {
      AddAttribute(node, "type", std::string(NameOf(internal::kNicTypeNames, nic.type)));
    }
    if (nic.role != NetworkFunctionRole::kNone) {
      AddAttribute(node, "role",
                   std::string(NameOf(internal::kNetworkFunctionRoleNames, nic.role)));
    }
    AddAttribute(node, "vlan-mode", std::string(NameOf(internal::kVlanModeNames, nic.vlan_mode)));
    if (nic.vlan_id != 0) AddAttribute(node, "vlan", std::to_string(nic.vlan_id));
    if (!nic.trunked_vlans.empty()) AddAttribute(node, "trunks", JoinVlans(nic.trunked_vlans));
    if (!nic.bridge.empty()) AddAttribute(node, "bridge", nic.bridge);
    const auto add_rate = [&node](const char* attribute, uint64_t value) {
      if (value != 0) AddAttribute(node, attribute, std::to_string(value));
    };
    add_rate("ingress-rate-kbps", nic.qos.ingress_rate_kbps);
    add_rate("ingress-burst-kb", nic.qos.ingress_burst_kb);
    add_rate("egress-rate-kbps", nic.qos.egress_rate_kbps);
  }
  for (const DiskConfig& disk : c.disks) {
    pugi::xml_node node = vm.append_child(name("disk").c_str());
    AddAttribute(node, "target", disk.target);
    if (disk.agent_created) AddAttribute(node, "created", "yes");
    if (disk.size_bytes != 0) AddAttribute(node, "size", std::to_string(disk.size_bytes));
  }
}

void AddOs(const VmConfig& c, pugi::xml_node domain) {
  pugi::xml_node os = domain.append_child("os");
  pugi::xml_node type = AddTextChild(os, "type", "hvm");
  AddAttribute(type, "arch", "x86_64");
  AddAttribute(type, "machine", c.machine);
  if (c.boot == BootDevice::kKernel) {
    AddTextChild(os, "kernel", c.kernel_path);
    if (!c.initrd_path.empty()) AddTextChild(os, "initrd", c.initrd_path);
    if (!c.kernel_cmdline.empty()) AddTextChild(os, "cmdline", c.kernel_cmdline);
  } else {
    AddAttribute(os.append_child("boot"), "dev",
                 std::string(NameOf(internal::kBootDeviceNames, c.boot)));
  }
}

void AddCpu(const VmConfig& c, const std::optional<internal::CpuModel>& baseline,
            pugi::xml_node domain) {
  pugi::xml_node cpu = domain.append_child("cpu");
  if (!baseline) {
    AddAttribute(cpu, "mode", "host-model");
  } else {
    AddAttribute(cpu, "mode", "custom");
    AddAttribute(cpu, "match", "exact");
    AddAttribute(cpu, "check", "partial");
    internal::AppendCpuModelAndVendor(*baseline, cpu);
  }
  pugi::xml_node topology = cpu.append_child("topology");
  AddAttribute(topology, "sockets",
               std::to_string(c.vcpus / (c.cores_per_socket * c.threads_per_core)));
  AddAttribute(topology, "dies", "1");
  AddAttribute(topology, "cores", std::to_string(c.cores_per_socket));
  AddAttribute(topology, "threads", std::to_string(c.threads_per_core));
  if (baseline) internal::AppendCpuFeatures(*baseline, cpu);
}

void AddDisk(const DiskConfig& d, pugi::xml_node devices) {
  pugi::xml_node disk = devices.append_child("disk");
  AddAttribute(disk, "type", std::string(NameOf(internal::kDiskSourceTypeNames, d.source_type)));
  AddAttribute(disk, "device", d.cdrom ? "cdrom" : "disk");
  pugi::xml_node driver = disk.append_child("driver");
  AddAttribute(driver, "name", "qemu");
  AddAttribute(driver, "type", std::string(NameOf(internal::kDiskFormatNames, d.format)));
  if (!d.cdrom) {
    // O_DIRECT and native AIO: no host page cache between the guest and the
    // volume, so guest flushes reach the storage and the host's memory is not
    // spent caching what the guest caches already. (O_DIRECT needs a
    // filesystem that supports it: not tmpfs.)
    AddAttribute(driver, "cache", "none");
    AddAttribute(driver, "io", "native");
  }
  if (!d.path.empty()) {
    AddAttribute(disk.append_child("source"),
                 d.source_type == DiskSourceType::kBlock ? "dev" : "file", d.path);
  }
  pugi::xml_node target = disk.append_child("target");
  AddAttribute(target, "dev", d.target);
  AddAttribute(target, "bus", std::string(NameOf(internal::kDiskBusNames, d.bus)));
  if (d.read_only) disk.append_child("readonly");
}

// type='ethernet' with managed='no': the agent creates the tap and plugs it
// into its OVS port (access or trunked); libvirt only opens it, so neither
// libvirt nor QEMU ever touches the switch.
void AddInterface(const NicConfig& nic, pugi::xml_node devices) {
  pugi::xml_node iface = devices.append_child("interface");
  AddAttribute(iface, "type", "ethernet");
  AddAttribute(iface.append_child("mac"), "address", nic.mac);
  pugi::xml_node target = iface.append_child("target");
  AddAttribute(target, "dev", nic.tap);
  AddAttribute(target, "managed", "no");
  AddAttribute(iface.append_child("model"), "type", nic.model);
}

// The pcie-root-ports a q35 domain with `nic_slots` gets; libvirt adds one
// spare only. One port per PCIe device at definition (the NICs, virtio disks,
// virtio-scsi controller, balloon, rng and the USB controller libvirt adds)
// plus one per NIC still to come, so every NIC up to nic_slots can be
// hot-plugged; SCSI disks (up to disks_per_vm) need no slot.
uint32_t PcieRootPorts(const VmConfig& c) {
  constexpr uint32_t kFixedPcieDevices = 4;  // virtio-scsi, memballoon, rng, USB
  const auto virtio_disks =
      static_cast<uint32_t>(std::count_if(c.disks.begin(), c.disks.end(), [](const DiskConfig& d) {
        return d.bus == DiskBus::kVirtio;
      }));
  const auto nics = std::max(c.nic_slots, static_cast<uint32_t>(c.nics.size()));
  return kFixedPcieDevices + virtio_disks + nics;
}

// Indexes written out: libvirt refuses a pcie-root-port without one when no
// pcie-root precedes it.
void AddPcieRootPorts(const VmConfig& c, pugi::xml_node devices) {
  pugi::xml_node root = devices.append_child("controller");
  AddAttribute(root, "type", "pci");
  AddAttribute(root, "index", "0");
  AddAttribute(root, "model", "pcie-root");
  const uint32_t ports = PcieRootPorts(c);
  for (uint32_t index = 1; index <= ports; ++index) {
    pugi::xml_node port = devices.append_child("controller");
    AddAttribute(port, "type", "pci");
    AddAttribute(port, "index", std::to_string(index));
    AddAttribute(port, "model", "pcie-root-port");
  }
}

void AddDevices(const VmConfig& c, pugi::xml_node domain) {
  pugi::xml_node devices = domain.append_child("devices");
  for (const DiskConfig& disk : c.disks) AddDisk(disk, devices);
  // Always there, like on an AHV VM: a SCSI disk hot-plugged later finds
  // its virtio-scsi controller (libvirt would otherwise add an LSI one).
  pugi::xml_node controller = devices.append_child("controller");
  AddAttribute(controller, "type", "scsi");
  AddAttribute(controller, "index", "0");
  AddAttribute(controller, "model", "virtio-scsi");
  // i440fx hot-plugs into pci.0's free slots (ACPI), 16 NICs and more.
  if (c.nic_slots != 0 && IsQ35(c.machine)) AddPcieRootPorts(c, devices);
  for (const NicConfig& nic : c.nics) AddInterface(nic, devices);
  // One serial port, which libvirt also presents as the console.
  pugi::xml_node serial = devices.append_child("serial");
  if (c.console_log_path.empty()) {
    AddAttribute(serial, "type", "pty");
  } else {
    AddAttribute(serial, "type", "file");
    pugi::xml_node source = serial.append_child("source");
    AddAttribute(source, "path", c.console_log_path);
    // The log outlives power cycles: a crash's last words stay readable.
    AddAttribute(source, "append", "on");
  }
  AddAttribute(serial.append_child("target"), "port", "0");
  AddAttribute(devices.append_child("memballoon"), "model", "virtio");
  pugi::xml_node rng = devices.append_child("rng");
  AddAttribute(rng, "model", "virtio");
  pugi::xml_node backend = AddTextChild(rng, "backend", "/dev/urandom");
  AddAttribute(backend, "model", "random");
}

}  // namespace

StatusOr<std::string> BuildDomainXml(const VmConfig& c) {
  HVAGENT_RETURN_IF_ERROR(ValidateVmConfig(c));
  std::optional<internal::CpuModel> baseline;
  if (!c.cpu_baseline_xml.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(baseline,
                             internal::ParseCpuBaseline(c.cpu_baseline_xml, "cpu_baseline_xml"));
  }
  pugi::xml_document doc;
  pugi::xml_node domain = doc.append_child("domain");
  AddAttribute(domain, "type", std::string(NameOf(internal::kDomainTypeNames, c.domain_type)));
  AddTextChild(domain, "name", c.name);
  AddTextChild(domain, "uuid", c.uuid);
  AddMetadata(c, baseline, domain);
  // Validation guarantees a whole number of MiB, so KiB is exact.
  const std::string kib = std::to_string(c.memory_bytes / 1024);
  AddAttribute(AddTextChild(domain, "memory", kib), "unit", "KiB");
  AddAttribute(AddTextChild(domain, "currentMemory", kib), "unit", "KiB");
  AddAttribute(AddTextChild(domain, "vcpu", std::to_string(c.vcpus)), "placement", "static");
  AddOs(c, domain);
  pugi::xml_node features = domain.append_child("features");
  features.append_child("acpi");
  features.append_child("apic");
  AddCpu(c, baseline, domain);
  AddAttribute(domain.append_child("clock"), "offset", "utc");
  AddTextChild(domain, "on_poweroff", "destroy");
  AddTextChild(domain, "on_reboot", "restart");
  AddTextChild(domain, "on_crash", "destroy");
  // No guest suspend: a suspended VM looks running yet answers nothing.
  pugi::xml_node pm = domain.append_child("pm");
  AddAttribute(pm.append_child("suspend-to-mem"), "enabled", "no");
  AddAttribute(pm.append_child("suspend-to-disk"), "enabled", "no");
  AddDevices(c, domain);
  std::ostringstream out;
  doc.save(out, "  ", internal::kXmlFormat);
  return out.str();
}

}  // namespace hvagent::compute
