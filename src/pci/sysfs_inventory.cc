#include "hvagent/pci/sysfs_inventory.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace hvagent::pci {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadFirstLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// "0x010802" -> 0x010802.
std::optional<uint32_t> ReadHexAttribute(const fs::path& path) {
  const auto text = ReadFirstLine(path);
  if (!text) return std::nullopt;
  std::string_view digits = *text;
  if (digits.starts_with("0x")) digits.remove_prefix(2);
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
  if (ec != std::errc() || digits.empty() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return value;
}

// The last path component that is a PCI address: a block device's controller.
std::optional<PciAddress> LastPciAddressIn(const fs::path& path) {
  std::optional<PciAddress> last;
  for (const fs::path& part : path) {
    if (auto address = PciAddress::Parse(part.string()); address.ok()) last = *address;
  }
  return last;
}

std::string LinkTargetName(const fs::path& link) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(link, ec);
  return ec ? std::string() : target.filename().string();
}

std::vector<std::string> EntryNames(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with('.')) names.push_back(std::move(name));  // recorded trees' .keep
  }
  std::sort(names.begin(), names.end());
  return names;
}

// One entry of sys/class/block.
struct BlockNode {
  std::string name;
  fs::path real;
  bool partition = false;
  std::string disk;  // the whole disk (itself for a disk)
  std::vector<std::string> holders;
  std::vector<std::string> slaves;
  std::vector<PciAddress> controllers;
};

std::vector<PciAddress> ControllersOf(const fs::path& real) {
  if (auto address = LastPciAddressIn(real)) return {*address};
  // NVMe native multipath: the namespace head lives under
  // devices/virtual/nvme-subsystem/nvme-subsysN; its controllers nvmeX are
  // links in that directory.
  std::vector<PciAddress> found;
  const fs::path subsystem = real.parent_path();
  if (subsystem.parent_path().filename() != "nvme-subsystem") return found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(subsystem, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("nvme") || name.starts_with("nvme-") || !entry.is_symlink()) continue;
    if (auto address = LastPciAddressIn(fs::weakly_canonical(entry.path(), ec))) {
      found.push_back(*address);
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::map<std::string, BlockNode> ReadBlockNodes(const fs::path& root) {
  std::map<std::string, BlockNode> nodes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root / "sys/class/block", ec)) {
    BlockNode node;
    node.name = entry.path().filename().string();
    std::error_code canon_ec;
    node.real = fs::canonical(entry.path(), canon_ec);
    if (canon_ec) continue;
    node.partition = fs::exists(node.real / "partition");
    node.disk = node.partition ? node.real.parent_path().filename().string() : node.name;
    node.holders = EntryNames(node.real / "holders");
    node.slaves = EntryNames(node.real / "slaves");
    node.controllers = ControllersOf(node.partition ? node.real.parent_path() : node.real);
    nodes.emplace(node.name, std::move(node));
  }
  return nodes;
}

// A mount or swap resolved to a block device name.
struct DirectUse {
  std::string device;
  std::string description;
  bool host_critical = false;
};

bool IsCriticalMountPoint(const std::string& mount_point) {
  return mount_point == "/" || mount_point == "/boot" || mount_point == "/boot/efi" ||
         mount_point == "/usr";
}

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeMountField(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(field.data() + i + 1, field.data() + i + 4, value, 8);
      if (ec == std::errc() && end == field.data() + i + 4) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

// "/dev/sda1" -> "sda1" when sys/class/block knows it.
std::optional<std::string> DeviceOfDevPath(const std::string& source,
                                           const std::map<std::string, BlockNode>& nodes) {
  if (!source.starts_with("/dev/")) return std::nullopt;
  const std::string name = fs::path(source).filename().string();
  if (nodes.contains(name)) return name;
  return std::nullopt;
}

std::optional<std::string> DeviceOfMajorMinor(const fs::path& root, const std::string& major_minor,
                                              const std::map<std::string, BlockNode>& nodes) {
  if (major_minor.empty() || major_minor.starts_with("0:")) return std::nullopt;
  std::error_code ec;
  const fs::path real = fs::canonical(root / "sys/dev/block" / major_minor, ec);
  if (ec) return std::nullopt;
  const std::string name = real.filename().string();
  if (nodes.contains(name)) return name;
  return std::nullopt;
}

std::vector<DirectUse> ReadDirectUses(const fs::path& root,
                                      const std::map<std::string, BlockNode>& nodes) {
  std::vector<DirectUse> uses;
  auto add_mount = [&](const std::string& device, const std::string& mount_point) {
    uses.push_back({device, fmt::format("{} is mounted at {}", device, mount_point),
                    IsCriticalMountPoint(mount_point)});
  };
  std::ifstream mountinfo(root / "proc/self/mountinfo");
  if (mountinfo) {
    // id parent major:minor root mount-point options [optional...] - type source super-options
    std::string line;
    while (std::getline(mountinfo, line)) {
      std::istringstream in(line);
      std::vector<std::string> fields;
      for (std::string f; in >> f;) fields.push_back(f);
      const auto dash = std::find(fields.begin(), fields.end(), "-");
      if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 3) continue;
      const std::string mount_point = UnescapeMountField(fields[4]);
      const std::string source = UnescapeMountField(*(dash + 2));
      auto device = DeviceOfMajorMinor(root, fields[2], nodes);
      if (!device) device = DeviceOfDevPath(source, nodes);
      if (device) add_mount(*device, mount_point);
    }
  } else {
    std::ifstream mounts(root / "proc/self/mounts");
    std::string source, mount_point, rest;
    while (mounts >> source >> mount_point && std::getline(mounts, rest)) {
      if (auto device = DeviceOfDevPath(UnescapeMountField(source), nodes)) {
        add_mount(*device, UnescapeMountField(mount_point));
      }
    }
  }
  std::ifstream swaps(root / "proc/swaps");
  std::string line;
  std::getline(swaps, line);  // header
  while (std::getline(swaps, line)) {
    std::istringstream in(line);
    std::string filename;
    if (!(in >> filename)) continue;
    // A swap file lives on a mounted filesystem, which the mounts cover.
    if (auto device = DeviceOfDevPath(UnescapeMountField(filename), nodes)) {
      uses.push_back({*device, fmt::format("{} is swap", *device), true});
    }
  }
  return uses;
}

// Everything the host does with `name` (and, through holders, with the md,
// LVM or dm devices built on it).
void CollectUses(const std::string& name, const std::map<std::string, BlockNode>& nodes,
                 const std::multimap<std::string, DirectUse>& direct, std::vector<HostUse>& out,
                 std::set<std::string>& visited) {
  if (!visited.insert(name).second) return;
  const auto [first, last] = direct.equal_range(name);
  for (auto it = first; it != last; ++it) {
    out.push_back({it->second.description, it->second.host_critical});
  }
  const auto node = nodes.find(name);
  if (node == nodes.end()) return;
  for (const std::string& holder : node->second.holders) {
    out.push_back({fmt::format("{} is held by {} (md, LVM or dm)", name, holder), false});
    std::vector<HostUse> above;
    CollectUses(holder, nodes, direct, above, visited);
    for (HostUse& use : above) out.push_back(std::move(use));
  }
}

bool VfioPciAvailable(const fs::path& root, const std::string& kernel_release) {
  std::error_code ec;
  if (fs::exists(root / "sys/bus/pci/drivers/vfio-pci", ec) ||
      fs::exists(root / "sys/module/vfio_pci", ec)) {
    return true;
  }
  if (kernel_release.empty()) return false;
  const fs::path modules = root / "lib/modules" / kernel_release;
  for (const char* list : {"modules.dep", "modules.builtin"}) {
    std::ifstream in(modules / list);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("/vfio-pci.ko") != std::string::npos ||
          line.find("/vfio_pci.ko") != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

StatusOr<PciInventory> ReadPciInventory(const SysfsLayout& layout) {
  const fs::path root = layout.root;
  const fs::path devices_dir = root / "sys/bus/pci/devices";
  PciInventory inventory;

  std::error_code ec;
  fs::directory_iterator devices(devices_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        fmt::format("cannot read {}: {}", devices_dir.string(), ec.message()));
  }
  for (const auto& entry : devices) {
    auto address = PciAddress::Parse(entry.path().filename().string());
    if (!address.ok()) continue;
    const fs::path dir = entry.path();
    const auto vendor = ReadHexAttribute(dir / "vendor");
    const auto device_id = ReadHexAttribute(dir / "device");
    const auto class_code = ReadHexAttribute(dir / "class");
    if (!vendor || !device_id || !class_code) continue;  // unreadable: not guessed
    PciDevice device;
    device.address = *address;
    device.vendor_id = static_cast<uint16_t>(*vendor);
    device.device_id = static_cast<uint16_t>(*device_id);
    device.class_code = *class_code;
    device.driver = LinkTargetName(dir / "driver");
    if (const auto numa = ReadFirstLine(dir / "numa_node")) {
      int node = -1;
      std::from_chars(numa->data(), numa->data() + numa->size(), node);
      device.numa_node = node;
    }
    if (const std::string group = LinkTargetName(dir / "iommu_group"); !group.empty()) {
      uint32_t number = 0;
      const auto [end, parse_ec] =
          std::from_chars(group.data(), group.data() + group.size(), number);
      if (parse_ec == std::errc() && end == group.data() + group.size()) {
        device.iommu_group = number;
      }
    }
    inventory.devices.push_back(std::move(device));
  }
  std::sort(inventory.devices.begin(), inventory.devices.end(),
            [](const PciDevice& a, const PciDevice& b) { return a.address < b.address; });

  for (const auto& group : fs::directory_iterator(root / "sys/kernel/iommu_groups", ec)) {
    uint32_t number = 0;
    const std::string name = group.path().filename().string();
    const auto [end, parse_ec] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (parse_ec != std::errc() || end != name.data() + name.size()) continue;
    std::vector<PciAddress>& members = inventory.iommu_groups[number];
    for (const std::string& member : EntryNames(group.path() / "devices")) {
      if (auto address = PciAddress::Parse(member); address.ok()) members.push_back(*address);
    }
    std::sort(members.begin(), members.end());
  }
  inventory.iommu_enabled = !inventory.iommu_groups.empty();
  inventory.vfio_pci_available = VfioPciAvailable(root, layout.kernel_release);

  // Block devices: whole disks with a PCI controller, and the host's uses.
  const std::map<std::string, BlockNode> nodes = ReadBlockNodes(root);
  std::multimap<std::string, DirectUse> direct;
  for (DirectUse& use : ReadDirectUses(root, nodes)) direct.emplace(use.device, std::move(use));
  // A use of an md/dm device reaches the disks below it: walk slaves down.
  std::function<void(const std::string&, const DirectUse&, std::set<std::string>&)> push_down =
      [&](const std::string& name, const DirectUse& use, std::set<std::string>& seen) {
        const auto node = nodes.find(name);
        if (node == nodes.end() || !seen.insert(name).second) return;
        for (const std::string& slave : node->second.slaves) {
          DirectUse below = use;
          below.device = slave;
          below.description = fmt::format("{} backs {}: {}", slave, name, use.description);
          direct.emplace(slave, below);
          push_down(slave, below, seen);
        }
      };
  {
    const auto originals = direct;
    for (const auto& [name, use] : originals) {
      std::set<std::string> seen;
      push_down(name, use, seen);
    }
  }
  for (const auto& [name, node] : nodes) {
    if (node.partition || node.controllers.empty()) continue;
    BlockDevice disk;
    disk.name = name;
    disk.controllers = node.controllers;
    std::set<std::string> visited;
    std::vector<HostUse> uses;
    CollectUses(name, nodes, direct, uses, visited);
    for (const auto& [part_name, part] : nodes) {
      if (part.partition && part.disk == name) CollectUses(part_name, nodes, direct, uses, visited);
    }
    // Holder chains reach the same mount twice (the md through each member):
    // keep each description once.
    std::set<std::string> seen_descriptions;
    for (HostUse& use : uses) {
      if (seen_descriptions.insert(use.description).second)
        disk.host_uses.push_back(std::move(use));
    }
    inventory.block_devices.push_back(std::move(disk));
  }

  for (const PciDevice& device : inventory.devices) {
    if (!device.IsStorageController()) continue;
    StorageController controller;
    controller.device = device;
    for (const BlockDevice* disk : inventory.BlockDevicesOf(device.address)) {
      controller.block_devices.push_back(*disk);
    }
    std::vector<std::string>& reasons = controller.not_assignable_reasons;
    const std::string address = device.address.ToString();
    if (!inventory.iommu_enabled) {
      reasons.push_back(fmt::format(
          "{}: the IOMMU is off (no groups under /sys/kernel/iommu_groups; enable VT-d/AMD-Vi "
          "and boot with intel_iommu=on or amd_iommu=on)",
          address));
    } else if (!device.iommu_group) {
      reasons.push_back(fmt::format("{}: the kernel put it in no IOMMU group", address));
    }
    if (!inventory.vfio_pci_available) {
      reasons.push_back(fmt::format(
          "{}: vfio-pci is not available (neither loaded, built in nor installed as a module)",
          address));
    }
    std::vector<const PciDevice*> members = {&controller.device};
    if (device.iommu_group) {
      for (const PciAddress& peer : inventory.iommu_groups[*device.iommu_group]) {
        if (peer == device.address) continue;
        if (const PciDevice* found = inventory.Find(peer)) {
          controller.group_peers.push_back(*found);
          if (!found->IsBridge()) members.push_back(found);
        }
      }
    }
    for (const PciDevice* member : members) {
      for (const BlockDevice* disk : inventory.BlockDevicesOf(member->address)) {
        for (const HostUse& use : disk->host_uses) {
          const std::string where = member == &controller.device
                                        ? address
                                        : fmt::format("{} (its IOMMU group peer {})", address,
                                                      member->address.ToString());
          reasons.push_back(
              use.host_critical
                  ? fmt::format("{}: holds the host's root, boot or swap: {}", where,
                                use.description)
                  : fmt::format("{}: in use by the host: {}", where, use.description));
        }
      }
    }
    controller.assignable = reasons.empty();
    inventory.storage_controllers.push_back(std::move(controller));
  }
  return inventory;
}

}  // namespace hvagent::pci
