// ValidateVmConfig: everything is checked here, before any XML is built, so
// that a bad spec is INVALID_ARGUMENT naming its field rather than a libvirt
// error after the fact. Field names follow hvagent.v1 (VmSpec is "spec.",
// Nic/Disk output fields are "nics[i]." / "disks[i].").
#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "hvagent/common/names.h"
#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/probe_domain_name.h"
#include "hvagent/cpu/cpu_description.h"

namespace hvagent::compute {

namespace {

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kMinMemoryBytes = 16 * kMiB;
// DiskSpec.create_size_bytes: 1 MiB – 9 EB.
constexpr uint64_t kMaxDiskBytes = 9'000'000'000'000'000'000ULL;
constexpr size_t kMaxCmdline = 2048;
constexpr size_t kMaxPath = 4095;  // PATH_MAX less its NUL
constexpr std::array<std::string_view, 3> kNicModels = {"virtio", "e1000", "rtl8139"};

Status Invalid(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, rule));
}

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexLower(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

bool AllOf(std::string_view value, bool (*pred)(char)) {
  return std::all_of(value.begin(), value.end(), pred);
}

// Text that XML 1.0 can carry and libvirt (libxml2) will read back: valid
// UTF-8 without control characters. pugixml would write a control character
// as a character reference such as &#01;, which XML 1.0 forbids, and XML
// parsers normalise tabs and newlines in attributes to spaces.
bool IsXmlSafe(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    constexpr std::array<uint32_t, 5> kMinForLength = {0, 0, 0x80, 0x800, 0x10000};
    const bool overlong = cp < kMinForLength[len];
    const bool surrogate = cp >= 0xd800 && cp <= 0xdfff;
    if (overlong || surrogate || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff) return false;
    if (cp >= 0x80 && cp <= 0x9f) return false;  // C1 controls
    i += len;
  }
  return true;
}

Status CheckAbsolutePath(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  if (value.front() != '/') return Invalid(field, fmt::format("must be absolute (is '{}')", value));
  if (value.size() > kMaxPath) {
    return Invalid(field, fmt::format("must be at most {} characters", kMaxPath));
  }
  if (value.find('\0') != std::string_view::npos || value.find('\n') != std::string_view::npos ||
      !IsXmlSafe(value)) {
    return Invalid(field, "must be UTF-8 without NUL, newline or other control characters");
  }
  return absl::OkStatus();
}

Status CheckUuid(std::string_view value) {
  constexpr std::string_view kField = "uuid";
  bool ok = value.size() == 36;
  for (size_t i = 0; ok && i < value.size(); ++i) {
    ok = (i == 8 || i == 13 || i == 18 || i == 23) ? value[i] == '-' : IsHexLower(value[i]);
  }
  if (!ok) {
    return Invalid(kField, fmt::format("must be a canonical lowercase UUID "
                                       "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), is '{}'",
                                       value));
  }
  return absl::OkStatus();
}

Status CheckTopology(const VmConfig& c) {
  if (c.vcpus < 1) return Invalid("spec.num_vcpus", "must be at least 1");
  if (c.cores_per_socket < 1) return Invalid("spec.num_cores_per_vcpu", "must be at least 1");
  if (c.threads_per_core < 1) return Invalid("spec.num_threads_per_core", "must be at least 1");
  const uint64_t per_socket = uint64_t{c.cores_per_socket} * c.threads_per_core;
  if (c.vcpus % per_socket != 0) {
    return absl::InvalidArgumentError(
        fmt::format("spec.num_vcpus ({}) must be a multiple of num_cores_per_vcpu × threads ({})",
                    c.vcpus, per_socket));
  }
  return absl::OkStatus();
}

Status CheckMemory(uint64_t bytes) {
  constexpr std::string_view kField = "spec.memory_bytes";
  if (bytes < kMinMemoryBytes) {
    return Invalid(kField, fmt::format("must be at least 16 MiB (is {})", bytes));
  }
  if (bytes % kMiB != 0) {
    return Invalid(kField, fmt::format("must be a multiple of 1 MiB (is {})", bytes));
  }
  return absl::OkStatus();
}

Status CheckMachine(std::string_view value) {
  constexpr std::string_view kField = "spec.machine_type";
  if (value.empty() || value.size() > 64 || !AllOf(value, [](char c) {
        return IsLower(c) || IsDigit(c) || c == '.' || c == '_' || c == '-';
      })) {
    return Invalid(kField, fmt::format("must be 1–64 characters [a-z0-9._-] (is '{}')", value));
  }
  return absl::OkStatus();
}

Status CheckBoot(const VmConfig& c) {
  if (c.boot == BootDevice::kKernel) {
    HVAGENT_RETURN_IF_ERROR(CheckAbsolutePath("spec.boot.kernel_path", c.kernel_path));
    if (!c.initrd_path.empty()) {
      HVAGENT_RETURN_IF_ERROR(CheckAbsolutePath("spec.boot.initrd_path", c.initrd_path));
    }
    if (c.kernel_cmdline.size() > kMaxCmdline) {
      return Invalid("spec.boot.kernel_cmdline",
                     fmt::format("must be at most {} characters (has {})", kMaxCmdline,
                                 c.kernel_cmdline.size()));
    }
    // Any printable text is fine (it is escaped), but not control characters.
    if (!IsXmlSafe(c.kernel_cmdline)) {
      return Invalid("spec.boot.kernel_cmdline", "must be UTF-8 without control characters");
    }
    return absl::OkStatus();
  }
  // Otherwise the fields would be silently dropped and lost on the way back.
  if (!c.kernel_path.empty() || !c.initrd_path.empty() || !c.kernel_cmdline.empty()) {
    const std::string_view field = !c.kernel_path.empty()   ? "spec.boot.kernel_path"
                                   : !c.initrd_path.empty() ? "spec.boot.initrd_path"
                                                            : "spec.boot.kernel_cmdline";
    return Invalid(field, "is only for BOOT_DEVICE_KERNEL");
  }
  if (c.boot == BootDevice::kCdrom &&
      std::none_of(c.disks.begin(), c.disks.end(), [](const DiskConfig& d) { return d.cdrom; })) {
    return Invalid("spec.boot.device", "BOOT_DEVICE_CDROM needs a cdrom disk");
  }
  if (c.boot == BootDevice::kNetwork && c.nics.empty()) {
    return Invalid("spec.boot.device", "BOOT_DEVICE_NETWORK needs a NIC");
  }
  return absl::OkStatus();
}

Status CheckMac(std::string_view field, std::string_view mac) {
  bool ok = mac.size() == 17;
  for (size_t i = 0; ok && i < mac.size(); ++i) {
    ok = i % 3 == 2 ? mac[i] == ':' : IsHexLower(mac[i]);
  }
  if (!ok) {
    return Invalid(field, fmt::format("must be lowercase xx:xx:xx:xx:xx:xx (is '{}')", mac));
  }
  // The low bit of the first octet, that of its second hex digit, marks multicast.
  const char second = mac[1];
  const int low_digit = IsDigit(second) ? second - '0' : second - 'a' + 10;
  if ((low_digit & 1) != 0) return Invalid(field, fmt::format("must be unicast (is '{}')", mac));
  if (mac == "00:00:00:00:00:00") return Invalid(field, "must not be all zero");
  return absl::OkStatus();
}

// The request's fields (mac, network, …) are named under `spec_field`; the
// ones the agent fills (tap, bridge, vlan_id) after `out_prefix` ("nics[2]."
// or empty for a NIC of its own).
Status CheckNic(const NicConfig& nic, std::string_view spec_field, std::string_view out_prefix) {
  const std::string spec(spec_field);
  const std::string out(out_prefix);
  HVAGENT_RETURN_IF_ERROR(CheckMac(spec + ".mac", nic.mac));
  // A NIC may be left off any network; when it names one, it is a resource name.
  if (nic.type == NicType::kNetworkFunction) {
    if (nic.role == NetworkFunctionRole::kNone) {
      return Invalid(spec + ".network_function_role",
                     "a network-function NIC needs a role (ingress, egress or tap)");
    }
    if (!nic.network.empty()) {
      return Invalid(spec + ".network",
                     fmt::format("a network-function NIC plugs into br.nf, on no network "
                                 "(is '{}')",
                                 nic.network));
    }
  } else if (nic.role != NetworkFunctionRole::kNone) {
    return Invalid(spec + ".network_function_role",
                   "only a network-function NIC (type network-function) has a role");
  }
  if (!nic.network.empty())
    HVAGENT_RETURN_IF_ERROR(ValidateResourceName(spec + ".network", nic.network));
  if (std::find(kNicModels.begin(), kNicModels.end(), nic.model) == kNicModels.end()) {
    return Invalid(spec + ".model",
                   fmt::format("must be virtio, e1000 or rtl8139 (is '{}')", nic.model));
  }
  if (nic.vlan_mode == VlanMode::kAccess && !nic.trunked_vlans.empty()) {
    return Invalid(spec + ".trunked_vlans", "is only for VLAN_MODE_TRUNKED");
  }
  // OVS reads an empty trunks column as "every VLAN": a NIC is never
  // trunked onto all VLANs by leaving the list out.
  if (nic.vlan_mode == VlanMode::kTrunked && nic.trunked_vlans.empty()) {
    return Invalid(spec + ".trunked_vlans",
                   "a VLAN_MODE_TRUNKED NIC lists the VLANs it carries (at least one)");
  }
  std::set<uint32_t> vlans;
  for (size_t k = 0; k < nic.trunked_vlans.size(); ++k) {
    const uint32_t vlan = nic.trunked_vlans[k];
    const std::string field = fmt::format("{}.trunked_vlans[{}]", spec, k);
    if (vlan < 1 || vlan > 4094) return Invalid(field, fmt::format("must be 1–4094 (is {})", vlan));
    if (!vlans.insert(vlan).second) {
      return Invalid(field, fmt::format("VLAN {} is listed twice", vlan));
    }
  }
  if (nic.vlan_id > 4094) {
    return Invalid(out + "vlan_id",
                   fmt::format("must be 0 (untagged) or 1–4094 (is {})", nic.vlan_id));
  }
  HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName(out + "tap", nic.tap));
  if (!nic.bridge.empty())
    HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName(out + "bridge", nic.bridge));
  return absl::OkStatus();
}

Status CheckNics(const std::vector<NicConfig>& nics) {
  std::set<std::string_view> macs;
  std::set<std::string_view> taps;
  for (size_t i = 0; i < nics.size(); ++i) {
    HVAGENT_RETURN_IF_ERROR(
        CheckNic(nics[i], fmt::format("spec.nics[{}]", i), fmt::format("nics[{}].", i)));
    if (!macs.insert(nics[i].mac).second) {
      return Invalid(fmt::format("spec.nics[{}].mac", i),
                     fmt::format("'{}' is used by another NIC", nics[i].mac));
    }
    if (!taps.insert(nics[i].tap).second) {
      return Invalid(fmt::format("nics[{}].tap", i),
                     fmt::format("'{}' is used by another NIC", nics[i].tap));
    }
  }
  return absl::OkStatus();
}

// "sd", "vd" or "hd" and 1–3 letters: the names libvirt maps to a disk index.
bool IsDiskTarget(std::string_view t) {
  return t.size() >= 3 && t.size() <= 5 &&
         (t.starts_with("sd") || t.starts_with("vd") || t.starts_with("hd")) &&
         AllOf(t.substr(2), IsLower);
}

}  // namespace

Status ValidateNicConfig(const NicConfig& nic, std::string_view field) {
  return CheckNic(nic, field, "");
}

Status ValidateDiskConfig(const DiskConfig& disk, std::string_view field,
                          std::string_view machine) {
  const std::string spec(field);
  if (!IsDiskTarget(disk.target)) {
    return Invalid(
        spec + ".target",
        fmt::format("must be sd, vd or hd and 1–3 letters, e.g. 'sdb' (is '{}')", disk.target));
  }
  const std::string path_field =
      spec + (disk.source_type == DiskSourceType::kBlock ? ".block_device" : ".file_path");
  // An empty cdrom drive has no medium, so no path.
  if (!(disk.cdrom && disk.path.empty())) {
    HVAGENT_RETURN_IF_ERROR(CheckAbsolutePath(path_field, disk.path));
  }
  if (disk.cdrom && !disk.read_only) {
    return Invalid(spec + ".read_only", "a cdrom is always read-only");
  }
  if (disk.cdrom && disk.bus == DiskBus::kVirtio) {
    return Invalid(spec + ".bus", "a cdrom cannot be on virtio (use scsi or sata)");
  }
  if (disk.bus == DiskBus::kIde && IsQ35(machine)) {
    return Invalid(spec + ".bus", fmt::format("machine '{}' has no IDE controller", machine));
  }
  if (disk.agent_created) {
    if (disk.cdrom || disk.source_type != DiskSourceType::kFile) {
      return Invalid(spec + ".create_size_bytes", "the agent creates only file-backed disks");
    }
    if (disk.size_bytes < kMiB || disk.size_bytes > kMaxDiskBytes) {
      return Invalid(spec + ".create_size_bytes",
                     fmt::format("must be 1 MiB – 9 EB (is {})", disk.size_bytes));
    }
  }
  return absl::OkStatus();
}

namespace {

Status CheckLabels(const std::map<std::string, std::string>& labels) {
  constexpr std::string_view kField = "spec.labels";
  for (const auto& [key, value] : labels) {
    if (key.empty() || key.size() > 63 || !AllOf(key, [](char c) {
          return IsLower(c) || IsDigit(c) || c == '_' || c == '.' || c == '-';
        })) {
      return Invalid(kField, fmt::format("key '{}' must be 1–63 characters [a-z0-9_.-]", key));
    }
    if (value.size() > 255) {
      return Invalid(kField, fmt::format("the value of '{}' must be at most 255 characters", key));
    }
    if (!IsXmlSafe(value)) {
      return Invalid(
          kField, fmt::format("the value of '{}' must be UTF-8 without control characters", key));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Status ValidateVmConfig(const VmConfig& c) {
  if (c.external) {
    return Invalid("external", "the agent never writes a domain it does not own");
  }
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName("spec.name", c.name));
  if (IsProbeDomainName(c.name)) {
    return Invalid("spec.name", fmt::format("must not start with '{}' (the agent's probe guests)",
                                            kProbeDomainPrefix));
  }
  HVAGENT_RETURN_IF_ERROR(CheckUuid(c.uuid));
  HVAGENT_RETURN_IF_ERROR(CheckTopology(c));
  HVAGENT_RETURN_IF_ERROR(CheckMemory(c.memory_bytes));
  HVAGENT_RETURN_IF_ERROR(CheckMachine(c.machine));
  HVAGENT_RETURN_IF_ERROR(CheckBoot(c));
  HVAGENT_RETURN_IF_ERROR(CheckNics(c.nics));
  std::set<std::string_view> targets;
  for (size_t i = 0; i < c.disks.size(); ++i) {
    HVAGENT_RETURN_IF_ERROR(
        ValidateDiskConfig(c.disks[i], fmt::format("spec.disks[{}]", i), c.machine));
    if (!targets.insert(c.disks[i].target).second) {
      return Invalid(fmt::format("spec.disks[{}].target", i),
                     fmt::format("'{}' is used by another disk", c.disks[i].target));
    }
  }
  if (!c.console_log_path.empty()) {
    HVAGENT_RETURN_IF_ERROR(CheckAbsolutePath("console_log_path", c.console_log_path));
  }
  if (!c.cpu_baseline_xml.empty()) {
    HVAGENT_RETURN_IF_ERROR(CanonicalCpuBaselineXml(c.cpu_baseline_xml).status());
  }
  if (!c.cpu_model_override.empty() && !cpu::IsCpuWord(c.cpu_model_override)) {
    return Invalid("spec.cpu_model_override",
                   fmt::format("'{}' is not a CPU model name (letters, digits, '_', '.', '-')",
                               c.cpu_model_override));
  }
  HVAGENT_RETURN_IF_ERROR(CheckLabels(c.labels));
  if (c.generation < 1) {
    return Invalid("generation", fmt::format("must be at least 1 (is {})", c.generation));
  }
  return absl::OkStatus();
}

}  // namespace hvagent::compute
