#include "hvagent/compute/controller_vm_xml.h"

#include <pugixml.hpp>

#include <charconv>
#include <sstream>

#include "domain_xml_names.h"

namespace hvagent::compute {

namespace {

constexpr std::string_view kPrefix = "hvcvm";
// Above the guest's RAM, what QEMU itself may lock (libvirt's own guidance for
// VFIO: guest memory plus 1 GiB).
constexpr uint64_t kLockedOverheadBytes = uint64_t{1} << 30;

void Attr(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name) = value.c_str();
}

pugi::xml_node Text(pugi::xml_node parent, const char* name, const std::string& text) {
  pugi::xml_node child = parent.append_child(name);
  child.text() = text.c_str();
  return child;
}

std::string Hex(uint32_t value, int width) { return fmt::format("0x{:0{}x}", value, width); }

Status Validate(const ControllerVmSpec& s) {
  if (s.name.empty()) return absl::InvalidArgumentError("name: the CVM needs a name");
  if (s.uuid.empty()) return absl::InvalidArgumentError("uuid: the CVM needs a uuid");
  if (s.num_vcpus == 0) return absl::InvalidArgumentError("num_vcpus: must be at least 1");
  if (s.memory_bytes == 0 || s.memory_bytes % (1 << 20) != 0) {
    return absl::InvalidArgumentError("memory_bytes: must be a positive whole number of MiB");
  }
  if (s.endpoints.empty()) {
    return absl::InvalidArgumentError("storage_controllers: the CVM needs a controller to pass");
  }
  if (s.numa_node >= 0 && s.numa_node_cpus.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("numa node {}: the node's CPUs are unknown, cannot pin", s.numa_node));
  }
  if (s.domain_type != "kvm" && s.domain_type != "qemu") {
    return absl::InvalidArgumentError("domain_type: 'kvm' or 'qemu'");
  }
  return absl::OkStatus();
}

void AddInterface(pugi::xml_node devices, const std::string& bridge, const std::string& mac,
                  bool ovs) {
  pugi::xml_node nic = devices.append_child("interface");
  Attr(nic, "type", "bridge");
  if (!mac.empty()) Attr(nic.append_child("mac"), "address", mac);
  Attr(nic.append_child("source"), "bridge", bridge);
  if (ovs) Attr(nic.append_child("virtualport"), "type", "openvswitch");
  Attr(nic.append_child("model"), "type", "virtio");
}

}  // namespace

std::string ControllerVmName(const std::string& host_name) {
  return fmt::format("NTNX-{}-CVM", host_name);
}

StatusOr<std::string> BuildControllerVmXml(const ControllerVmSpec& s) {
  HVAGENT_RETURN_IF_ERROR(Validate(s));
  pugi::xml_document doc;
  pugi::xml_node domain = doc.append_child("domain");
  Attr(domain, "type", s.domain_type);
  Text(domain, "name", s.name);
  Text(domain, "uuid", s.uuid);
  Text(domain, "description", "Controller VM: serves this host's storage");

  const std::string p = std::string(kPrefix) + ":";
  pugi::xml_node cvm = domain.append_child("metadata").append_child((p + "cvm").c_str());
  Attr(cvm, ("xmlns:" + std::string(kPrefix)).c_str(), std::string(kControllerVmNamespace));
  for (const pci::PciDevice& controller : s.controllers) {
    pugi::xml_node c = cvm.append_child((p + "controller").c_str());
    Attr(c, "address", controller.address.ToString());
    Attr(c, "vendor_device", controller.VendorDevice());
  }
  if (s.numa_node >= 0) Text(cvm, (p + "numa_node").c_str(), std::to_string(s.numa_node));

  const std::string kib = std::to_string(s.memory_bytes / 1024);
  Attr(Text(domain, "memory", kib), "unit", "KiB");
  Attr(Text(domain, "currentMemory", kib), "unit", "KiB");
  pugi::xml_node memtune = domain.append_child("memtune");
  Attr(Text(memtune, "hard_limit", std::to_string((s.memory_bytes + kLockedOverheadBytes) / 1024)),
       "unit", "KiB");
  domain.append_child("memoryBacking").append_child("locked");
  pugi::xml_node vcpu = Text(domain, "vcpu", std::to_string(s.num_vcpus));
  Attr(vcpu, "placement", "static");
  if (s.numa_node >= 0) {
    Attr(vcpu, "cpuset", s.numa_node_cpus);
    pugi::xml_node cputune = domain.append_child("cputune");
    for (uint32_t i = 0; i < s.num_vcpus; ++i) {
      pugi::xml_node pin = cputune.append_child("vcpupin");
      Attr(pin, "vcpu", std::to_string(i));
      Attr(pin, "cpuset", s.numa_node_cpus);
    }
    Attr(cputune.append_child("emulatorpin"), "cpuset", s.numa_node_cpus);
    pugi::xml_node memory = domain.append_child("numatune").append_child("memory");
    Attr(memory, "mode", "strict");
    Attr(memory, "nodeset", std::to_string(s.numa_node));
  }
  pugi::xml_node os = domain.append_child("os");
  pugi::xml_node type = Text(os, "type", "hvm");
  Attr(type, "arch", "x86_64");
  Attr(type, "machine", "q35");
  Attr(os.append_child("boot"), "dev", "hd");
  pugi::xml_node features = domain.append_child("features");
  features.append_child("acpi");
  features.append_child("apic");
  Attr(domain.append_child("cpu"), "mode", "host-model");
  Attr(domain.append_child("clock"), "offset", "utc");
  Text(domain, "on_poweroff", "destroy");
  Text(domain, "on_reboot", "restart");
  // The host's storage depends on it: a crashed CVM comes back.
  Text(domain, "on_crash", "restart");

  pugi::xml_node devices = domain.append_child("devices");
  if (!s.system_disk_path.empty()) {
    pugi::xml_node disk = devices.append_child("disk");
    Attr(disk, "type", "file");
    Attr(disk, "device", "disk");
    pugi::xml_node driver = disk.append_child("driver");
    Attr(driver, "name", "qemu");
    Attr(driver, "type", s.system_disk_path.ends_with(".qcow2") ? "qcow2" : "raw");
    Attr(disk.append_child("source"), "file", s.system_disk_path);
    pugi::xml_node target = disk.append_child("target");
    Attr(target, "dev", "vda");
    Attr(target, "bus", "virtio");
  }
  AddInterface(devices, s.external_bridge, s.external_mac, /*ovs=*/true);
  AddInterface(devices, s.internal_bridge, s.internal_mac, /*ovs=*/false);
  for (const pci::PciDevice& endpoint : s.endpoints) {
    pugi::xml_node hostdev = devices.append_child("hostdev");
    Attr(hostdev, "mode", "subsystem");
    Attr(hostdev, "type", "pci");
    Attr(hostdev, "managed", "yes");
    Attr(hostdev.append_child("driver"), "name", "vfio");
    pugi::xml_node address = hostdev.append_child("source").append_child("address");
    Attr(address, "domain", Hex(endpoint.address.domain, 4));
    Attr(address, "bus", Hex(endpoint.address.bus, 2));
    Attr(address, "slot", Hex(endpoint.address.slot, 2));
    Attr(address, "function", Hex(endpoint.address.function, 1));
  }
  pugi::xml_node serial = devices.append_child("serial");
  Attr(serial, "type", "pty");
  Attr(serial.append_child("target"), "port", "0");
  pugi::xml_node console = devices.append_child("console");
  Attr(console, "type", "pty");
  Attr(console.append_child("target"), "type", "serial");
  std::ostringstream out;
  doc.save(out, "  ", internal::kXmlFormat);
  return out.str();
}

StatusOr<ControllerVmFacts> ParseControllerVmXml(const std::string& xml) {
  pugi::xml_document doc;
  if (!doc.load_string(xml.c_str())) {
    return absl::InvalidArgumentError("the CVM's domain XML does not parse");
  }
  const pugi::xml_node domain = doc.child("domain");
  ControllerVmFacts facts;
  facts.name = domain.child_value("name");
  facts.uuid = domain.child_value("uuid");
  facts.num_vcpus = domain.child("vcpu").text().as_uint();
  facts.memory_bytes = domain.child("memory").text().as_ullong() * 1024;  // libvirt prints KiB
  for (const pugi::xml_node hostdev : domain.child("devices").children("hostdev")) {
    const pugi::xml_node a = hostdev.child("source").child("address");
    facts.hostdev_addresses.push_back(fmt::format(
        "{:04x}:{:02x}:{:02x}.{:x}", std::strtoul(a.attribute("domain").value(), nullptr, 16),
        std::strtoul(a.attribute("bus").value(), nullptr, 16),
        std::strtoul(a.attribute("slot").value(), nullptr, 16),
        std::strtoul(a.attribute("function").value(), nullptr, 16)));
  }
  // The metadata element, whatever prefix libvirt printed it with.
  for (const pugi::xml_node element : domain.child("metadata").children()) {
    bool ours = false;
    for (const pugi::xml_attribute attr : element.attributes()) {
      if (std::string_view(attr.name()).starts_with("xmlns") &&
          std::string_view(attr.value()) == kControllerVmNamespace) {
        ours = true;
      }
    }
    if (!ours) continue;
    for (const pugi::xml_node child : element.children()) {
      const std::string_view name = child.name();
      if (name.ends_with(":controller")) {
        facts.controllers.push_back(fmt::format("{} {}", child.attribute("address").value(),
                                                child.attribute("vendor_device").value()));
      }
    }
  }
  for (const pugi::xml_node pin : domain.child("cputune").children("vcpupin")) {
    facts.vcpupin_cpusets.push_back(pin.attribute("cpuset").value());
  }
  const pugi::xml_node memory = domain.child("numatune").child("memory");
  facts.numatune_mode = memory.attribute("mode").value();
  facts.numatune_nodeset = memory.attribute("nodeset").value();
  facts.memory_locked = static_cast<bool>(domain.child("memoryBacking").child("locked"));
  for (const pugi::xml_node nic : domain.child("devices").children("interface")) {
    facts.bridges.push_back(nic.child("source").attribute("bridge").value());
  }
  return facts;
}

}  // namespace hvagent::compute
