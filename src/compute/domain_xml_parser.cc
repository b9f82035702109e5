// ParseDomainXml: libvirt domain XML → VmConfig. It reads what the builder
// writes from wherever libvirt puts it, and ignores everything libvirt adds
// (addresses, aliases, controllers, seclabels, <resource>…).
//
// A domain the agent owns (hvagent metadata with owner "hvagent") must hold
// only what a VmConfig can describe: anything else is INVALID_ARGUMENT rather
// than dropped, because a silently missing disk would let the agent hand its
// target out twice. Domains the agent does not own (external) are read as far
// as they can be, skipping devices a VmConfig cannot describe.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pugixml.hpp>

#include "cpu_model.h"
#include "domain_xml_names.h"
#include "hvagent/compute/domain_xml.h"

namespace hvagent::compute {

namespace {

using internal::ParseNumber;
using internal::ValueOf;

std::string_view Value(pugi::xml_attribute attribute) { return attribute.value(); }
std::string_view Text(pugi::xml_node node) { return node.child_value(); }

// libvirt's memory units (docs/formatdomain: "memory allocation").
std::optional<uint64_t> MemoryUnitBytes(std::string_view unit) {
  static const std::map<std::string_view, uint64_t> kUnits = {
      {"b", 1},          {"bytes", 1},        {"KB", 1000ULL},
      {"k", 1ULL << 10}, {"KiB", 1ULL << 10}, {"MB", 1000'000ULL},
      {"M", 1ULL << 20}, {"MiB", 1ULL << 20}, {"GB", 1000'000'000ULL},
      {"G", 1ULL << 30}, {"GiB", 1ULL << 30}, {"TB", 1000'000'000'000ULL},
      {"T", 1ULL << 40}, {"TiB", 1ULL << 40}};
  const auto it = kUnits.find(unit);
  if (it == kUnits.end()) return std::nullopt;
  return it->second;
}

// The hvagent metadata of one domain: the element and the prefix the document
// bound to kMetadataNamespace (libvirt keeps the prefix it was given, but
// another writer could have chosen a different one).
struct Metadata {
  pugi::xml_node vm;
  std::string prefix;
};

// The namespace `prefix` is bound to at `node`, looking up through its
// ancestors as XML namespaces scope.
std::string_view NamespaceOf(pugi::xml_node node, std::string_view prefix) {
  const std::string attribute = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
  for (; node; node = node.parent()) {
    if (const pugi::xml_attribute a = node.attribute(attribute.c_str())) return a.value();
  }
  return {};
}

std::optional<Metadata> FindMetadata(pugi::xml_node domain) {
  for (const pugi::xml_node child : domain.child("metadata").children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = child.name();
    const size_t colon = name.find(':');
    const std::string_view prefix = colon == std::string_view::npos ? "" : name.substr(0, colon);
    const std::string_view local = colon == std::string_view::npos ? name : name.substr(colon + 1);
    if (local == "vm" && NamespaceOf(child, prefix) == kMetadataNamespace) {
      return Metadata{.vm = child, .prefix = prefix.empty() ? "" : std::string(prefix) + ":"};
    }
  }
  return std::nullopt;
}

// What the metadata says about one NIC or disk, keyed by MAC or target.
struct NicMetadata {
  std::string network;
  NicType type = NicType::kNormal;
  NetworkFunctionRole role = NetworkFunctionRole::kNone;
  VlanMode vlan_mode = VlanMode::kAccess;
  uint32_t vlan_id = 0;
  std::vector<uint32_t> trunked_vlans;
  std::string bridge;
  NicQos qos;
};
struct DiskMetadata {
  bool agent_created = false;
  uint64_t size_bytes = 0;
};

class DomainParser {
 public:
  explicit DomainParser(pugi::xml_node domain) : domain_(domain) {}

  StatusOr<VmConfig> Parse() {
    c_.name = Text(domain_.child("name"));
    if (c_.name.empty()) return Error("has no <name>");
    c_.uuid = Text(domain_.child("uuid"));
    const std::optional<Metadata> metadata = FindMetadata(domain_);
    managed_ = metadata &&
               Text(metadata->vm.child((metadata->prefix + "owner").c_str())) == internal::kOwner;
    c_.external = !managed_;
    HVAGENT_RETURN_IF_ERROR(ParseDomainType());
    HVAGENT_RETURN_IF_ERROR(ParseMemoryAndVcpus());
    HVAGENT_RETURN_IF_ERROR(ParseOs());
    HVAGENT_RETURN_IF_ERROR(ParseCpu());
    HVAGENT_RETURN_IF_ERROR(ParseDevices());
    if (managed_) HVAGENT_RETURN_IF_ERROR(ApplyMetadata(*metadata));
    return std::move(c_);
  }

 private:
  Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(c_.name.empty()
                                          ? fmt::format("domain XML: {}", what)
                                          : fmt::format("domain XML of '{}': {}", c_.name, what));
  }

  // A part a VmConfig cannot describe: an error in a domain the agent owns,
  // skipped (false) in an external one.
  StatusOr<bool> Unsupported(std::string_view what) const {
    if (managed_) return Error(fmt::format("{}, which the agent does not write", what));
    return false;
  }

  template <typename T>
  StatusOr<T> Number(std::string_view text, std::string_view what) const {
    const std::optional<T> value = ParseNumber<T>(text);
    if (!value) return Error(fmt::format("{} '{}' is not a number", what, text));
    return *value;
  }

  Status ParseDomainType() {
    const std::string_view type = Value(domain_.attribute("type"));
    if (const auto value = ValueOf(internal::kDomainTypeNames, type)) {
      c_.domain_type = *value;
      return absl::OkStatus();
    }
    // An external domain of another kind (the test driver's 'test') keeps
    // the default.
    return Unsupported(fmt::format("<domain type='{}'>", type)).status();
  }

  Status ParseMemoryAndVcpus() {
    if (const pugi::xml_node memory = domain_.child("memory")) {
      const std::string_view unit = memory.attribute("unit").as_string("KiB");
      const std::optional<uint64_t> scale = MemoryUnitBytes(unit);
      if (!scale) return Error(fmt::format("<memory unit='{}'> is not a libvirt unit", unit));
      HVAGENT_ASSIGN_OR_RETURN(const uint64_t amount, Number<uint64_t>(Text(memory), "<memory>"));
      if (amount > UINT64_MAX / *scale) return Error("<memory> is too large");
      c_.memory_bytes = amount * *scale;
    }
    if (const pugi::xml_node vcpu = domain_.child("vcpu")) {
      HVAGENT_ASSIGN_OR_RETURN(c_.vcpus, Number<uint32_t>(Text(vcpu), "<vcpu>"));
    }
    return absl::OkStatus();
  }

  Status ParseOs() {
    const pugi::xml_node os = domain_.child("os");
    c_.machine = Value(os.child("type").attribute("machine"));
    if (const pugi::xml_node kernel = os.child("kernel")) {
      c_.boot = BootDevice::kKernel;
      c_.kernel_path = Text(kernel);
      c_.initrd_path = Text(os.child("initrd"));
      c_.kernel_cmdline = Text(os.child("cmdline"));
      return absl::OkStatus();
    }
    // Only the first <boot> counts: the builder writes one.
    if (const pugi::xml_node boot = os.child("boot")) {
      const std::string_view dev = Value(boot.attribute("dev"));
      if (const auto value = ValueOf(internal::kBootDeviceNames, dev)) {
        c_.boot = *value;
      } else {
        HVAGENT_RETURN_IF_ERROR(Unsupported(fmt::format("<boot dev='{}'>", dev)).status());
      }
    }
    return absl::OkStatus();
  }

  Status ParseCpu() {
    const pugi::xml_node cpu = domain_.child("cpu");
    if (!cpu) return absl::OkStatus();
    if (const pugi::xml_node topology = cpu.child("topology")) {
      HVAGENT_ASSIGN_OR_RETURN(
          c_.cores_per_socket,
          Number<uint32_t>(Value(topology.attribute("cores")), "topology cores"));
      HVAGENT_ASSIGN_OR_RETURN(
          c_.threads_per_core,
          Number<uint32_t>(Value(topology.attribute("threads")), "topology threads"));
    }
    // The agent's own domains keep the baseline asked for in the metadata:
    // the live <cpu> is what QEMU got, not what was asked for.
    if (managed_) return absl::OkStatus();
    const std::string_view mode = cpu.attribute("mode").as_string("custom");
    // <cpu> with only a topology is libvirt's default CPU, not a baseline;
    // host-model and host-passthrough have none either.
    if (mode != "custom" || !cpu.child("model")) return absl::OkStatus();
    HVAGENT_ASSIGN_OR_RETURN(const internal::CpuModel model,
                             internal::ReadCpuModel(cpu, "domain XML <cpu>"));
    c_.cpu_baseline_xml = internal::CanonicalCpuXml(model);
    return absl::OkStatus();
  }

  StatusOr<bool> ParseDisk(pugi::xml_node node, DiskConfig& disk) const {
    const std::string_view type = Value(node.attribute("type"));
    const std::optional<DiskSourceType> source_type = ValueOf(internal::kDiskSourceTypeNames, type);
    if (!source_type) return Unsupported(fmt::format("a <disk type='{}'>", type));
    disk.source_type = *source_type;
    const std::string_view device = node.attribute("device").as_string("disk");
    if (device != "disk" && device != "cdrom") {
      return Unsupported(fmt::format("a <disk device='{}'>", device));
    }
    disk.cdrom = device == "cdrom";
    const pugi::xml_node target = node.child("target");
    disk.target = Value(target.attribute("dev"));
    if (disk.target.empty()) return Error("a <disk> has no <target dev>");
    const std::string_view bus = Value(target.attribute("bus"));
    const std::optional<DiskBus> bus_value = ValueOf(internal::kDiskBusNames, bus);
    if (!bus_value) return Unsupported(fmt::format("disk {} on bus '{}'", disk.target, bus));
    disk.bus = *bus_value;
    const std::string_view format = node.child("driver").attribute("type").as_string("raw");
    const std::optional<DiskFormat> format_value = ValueOf(internal::kDiskFormatNames, format);
    if (!format_value) {
      return Unsupported(fmt::format("disk {} of format '{}'", disk.target, format));
    }
    disk.format = *format_value;
    const pugi::xml_node source = node.child("source");
    disk.path =
        Value(source.attribute(disk.source_type == DiskSourceType::kBlock ? "dev" : "file"));
    disk.read_only = static_cast<bool>(node.child("readonly"));
    return true;
  }

  Status ParseInterface(pugi::xml_node node, NicConfig& nic) const {
    const std::string_view type = Value(node.attribute("type"));
    nic.mac = Value(node.child("mac").attribute("address"));
    if (type != "ethernet") {
      if (managed_) {
        return Error(fmt::format(
            "NIC {} is an <interface type='{}'>, which the agent does not write", nic.mac, type));
      }
      // An external domain's NIC is still worth listing: its MAC, its tap,
      // and the bridge when libvirt plugs it into one.
      nic.bridge = Value(node.child("source").attribute("bridge"));
    }
    nic.tap = Value(node.child("target").attribute("dev"));
    // No <model>: QEMU's default for the machine, which the config cannot name.
    nic.model = Value(node.child("model").attribute("type"));
    return absl::OkStatus();
  }

  Status ParseDevices() {
    const pugi::xml_node devices = domain_.child("devices");
    for (const pugi::xml_node node : devices.children("disk")) {
      DiskConfig disk;
      HVAGENT_ASSIGN_OR_RETURN(const bool keep, ParseDisk(node, disk));
      if (keep) c_.disks.push_back(std::move(disk));
    }
    for (const pugi::xml_node node : devices.children("interface")) {
      NicConfig nic;
      HVAGENT_RETURN_IF_ERROR(ParseInterface(node, nic));
      c_.nics.push_back(std::move(nic));
    }
    // libvirt mirrors the serial port as a <console>; the serial is the truth.
    const pugi::xml_node serial = devices.child("serial");
    if (Value(serial.attribute("type")) == "file") {
      c_.console_log_path = Value(serial.child("source").attribute("path"));
    }
    return absl::OkStatus();
  }

  StatusOr<std::vector<uint32_t>> ParseVlanList(std::string_view text) const {
    std::vector<uint32_t> vlans;
    while (!text.empty()) {
      const size_t comma = text.find(',');
      HVAGENT_ASSIGN_OR_RETURN(const uint32_t vlan,
                               Number<uint32_t>(text.substr(0, comma), "a trunked VLAN"));
      vlans.push_back(vlan);
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
      if (text.empty()) return Error("the trunked VLAN list ends in a comma");
    }
    return vlans;
  }

  StatusOr<NicMetadata> ParseNicMetadata(pugi::xml_node node) const {
    NicMetadata m;
    m.network = Value(node.attribute("network"));
    const std::string_view type = node.attribute("type").as_string("normal");
    const std::optional<NicType> type_value = ValueOf(internal::kNicTypeNames, type);
    if (!type_value) return Error(fmt::format("NIC type '{}' is not one the agent writes", type));
    m.type = *type_value;
    const std::string_view role = node.attribute("role").as_string("none");
    const std::optional<NetworkFunctionRole> role_value =
        ValueOf(internal::kNetworkFunctionRoleNames, role);
    if (!role_value) return Error(fmt::format("NIC role '{}' is not one the agent writes", role));
    m.role = *role_value;
    const std::string_view mode = node.attribute("vlan-mode").as_string("access");
    const std::optional<VlanMode> mode_value = ValueOf(internal::kVlanModeNames, mode);
    if (!mode_value) {
      return Error(fmt::format("vlan-mode '{}' is neither access nor trunked", mode));
    }
    m.vlan_mode = *mode_value;
    if (const pugi::xml_attribute vlan = node.attribute("vlan")) {
      HVAGENT_ASSIGN_OR_RETURN(m.vlan_id, Number<uint32_t>(vlan.value(), "the NIC's vlan"));
    }
    HVAGENT_ASSIGN_OR_RETURN(m.trunked_vlans, ParseVlanList(Value(node.attribute("trunks"))));
    m.bridge = Value(node.attribute("bridge"));
    for (auto [attribute, value] : {std::pair{"ingress-rate-kbps", &m.qos.ingress_rate_kbps},
                                    std::pair{"ingress-burst-kb", &m.qos.ingress_burst_kb},
                                    std::pair{"egress-rate-kbps", &m.qos.egress_rate_kbps}}) {
      if (const pugi::xml_attribute rate = node.attribute(attribute)) {
        HVAGENT_ASSIGN_OR_RETURN(*value, Number<uint64_t>(rate.value(), attribute));
      }
    }
    return m;
  }

  StatusOr<DiskMetadata> ParseDiskMetadata(pugi::xml_node node) const {
    DiskMetadata m;
    const std::string_view created = node.attribute("created").as_string("no");
    if (created != "yes" && created != "no") {
      return Error(fmt::format("disk created='{}' is neither yes nor no", created));
    }
    m.agent_created = created == "yes";
    if (const pugi::xml_attribute size = node.attribute("size")) {
      HVAGENT_ASSIGN_OR_RETURN(m.size_bytes, Number<uint64_t>(size.value(), "the disk's size"));
    }
    return m;
  }

  // Puts `items` in the order `keys` lists them (the config's order), those
  // the metadata does not know after them in document order.
  template <typename Item, typename KeyOf>
  static void Reorder(std::vector<Item>& items, const std::vector<std::string>& keys,
                      KeyOf key_of) {
    std::vector<Item> ordered;
    ordered.reserve(items.size());
    std::vector<bool> taken(items.size(), false);
    for (const std::string& key : keys) {
      for (size_t i = 0; i < items.size(); ++i) {
        if (!taken[i] && key_of(items[i]) == key) {
          taken[i] = true;
          ordered.push_back(std::move(items[i]));
          break;
        }
      }
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (!taken[i]) ordered.push_back(std::move(items[i]));
    }
    items = std::move(ordered);
  }

  Status ApplyMetadata(const Metadata& m) {
    // pugixml's children(name) keeps the name pointer while iterating: the
    // qualified names must outlive the loops.
    const std::string generation_name = m.prefix + "generation";
    const std::string machine_name = m.prefix + "machine";
    const std::string labels_name = m.prefix + "labels";
    const std::string label_name = m.prefix + "label";
    const std::string nic_name = m.prefix + "nic";
    const std::string disk_name = m.prefix + "disk";
    const std::string cpu_name = m.prefix + "cpu-baseline";
    const std::string override_name = m.prefix + "cpu-model-override";
    const std::string nic_slots_name = m.prefix + "nic-slots";
    HVAGENT_ASSIGN_OR_RETURN(
        c_.generation, Number<int64_t>(Text(m.vm.child(generation_name.c_str())), "<generation>"));
    if (const pugi::xml_node machine = m.vm.child(machine_name.c_str())) {
      c_.machine = Text(machine);
    }
    if (const pugi::xml_node baseline = m.vm.child(cpu_name.c_str())) {
      HVAGENT_ASSIGN_OR_RETURN(
          const internal::CpuModel model,
          internal::ReadCpuModel(baseline.child("cpu"), "domain XML <hvagent:cpu-baseline>"));
      c_.cpu_baseline_xml = internal::CanonicalCpuXml(model);
    }
    if (const pugi::xml_node cpu_override = m.vm.child(override_name.c_str())) {
      c_.cpu_model_override = Text(cpu_override);
    }
    if (const pugi::xml_node nic_slots = m.vm.child(nic_slots_name.c_str())) {
      HVAGENT_ASSIGN_OR_RETURN(c_.nic_slots, Number<uint32_t>(Text(nic_slots), "<nic-slots>"));
    }
    for (const pugi::xml_node label :
         m.vm.child(labels_name.c_str()).children(label_name.c_str())) {
      c_.labels[label.attribute("key").value()] = label.attribute("value").value();
    }
    std::map<std::string, NicMetadata, std::less<>> nics;
    std::vector<std::string> nic_order;
    for (const pugi::xml_node node : m.vm.children(nic_name.c_str())) {
      HVAGENT_ASSIGN_OR_RETURN(NicMetadata nic, ParseNicMetadata(node));
      nic_order.emplace_back(Value(node.attribute("mac")));
      nics.emplace(nic_order.back(), std::move(nic));
    }
    std::map<std::string, DiskMetadata, std::less<>> disks;
    std::vector<std::string> disk_order;
    for (const pugi::xml_node node : m.vm.children(disk_name.c_str())) {
      HVAGENT_ASSIGN_OR_RETURN(const DiskMetadata disk, ParseDiskMetadata(node));
      disk_order.emplace_back(Value(node.attribute("target")));
      disks.emplace(disk_order.back(), disk);
    }
    // Entries for devices no longer in the domain are dropped: the devices
    // are the truth, the metadata only adds to them.
    for (NicConfig& nic : c_.nics) {
      const auto it = nics.find(nic.mac);
      if (it == nics.end()) continue;
      nic.network = it->second.network;
      nic.type = it->second.type;
      nic.role = it->second.role;
      nic.vlan_mode = it->second.vlan_mode;
      nic.vlan_id = it->second.vlan_id;
      nic.trunked_vlans = it->second.trunked_vlans;
      nic.bridge = it->second.bridge;
      nic.qos = it->second.qos;
    }
    for (DiskConfig& disk : c_.disks) {
      const auto it = disks.find(disk.target);
      if (it == disks.end()) continue;
      disk.agent_created = it->second.agent_created;
      disk.size_bytes = it->second.size_bytes;
    }
    Reorder(c_.nics, nic_order, [](const NicConfig& nic) -> const std::string& { return nic.mac; });
    Reorder(c_.disks, disk_order,
            [](const DiskConfig& disk) -> const std::string& { return disk.target; });
    return absl::OkStatus();
  }

  pugi::xml_node domain_;
  bool managed_ = false;
  VmConfig c_;
};

}  // namespace

StatusOr<VmConfig> ParseDomainXml(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return absl::InvalidArgumentError(
        fmt::format("domain XML: malformed at offset {}: {}", parsed.offset, parsed.description()));
  }
  const pugi::xml_node domain = doc.document_element();
  if (std::string_view(domain.name()) != "domain") {
    return absl::InvalidArgumentError(
        fmt::format("domain XML: the root element must be <domain> (is <{}>)", domain.name()));
  }
  return DomainParser(domain).Parse();
}

}  // namespace hvagent::compute
