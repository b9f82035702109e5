// Private to the compute module: the words shared by the domain XML builder
// and parser, kept in one place so the two cannot drift apart.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <pugixml.hpp>

#include "hvagent/compute/vm_config.h"

namespace hvagent::compute::internal {

// The prefix the builder gives the metadata namespace. The parser resolves
// whatever prefix the document declares for kMetadataNamespace instead.
inline constexpr std::string_view kMetadataPrefix = "hvagent";
// <hvagent:owner>: marks a domain as the agent's.
inline constexpr std::string_view kOwner = "hvagent";

// How the module writes XML: indented, single-quoted attributes like virsh
// dumpxml, no <?xml?> declaration (libvirt does not want one).
inline constexpr unsigned kXmlFormat =
    pugi::format_indent | pugi::format_attribute_single_quote | pugi::format_no_declaration;

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

// <domain type=…>.
inline constexpr EnumName<DomainType> kDomainTypeNames[] = {{DomainType::kKvm, "kvm"},
                                                            {DomainType::kQemu, "qemu"}};
// <os><boot dev=…>; kKernel has no <boot> element but <kernel>.
inline constexpr EnumName<BootDevice> kBootDeviceNames[] = {
    {BootDevice::kDisk, "hd"}, {BootDevice::kCdrom, "cdrom"}, {BootDevice::kNetwork, "network"}};
// <hvagent:nic vlan-mode=…>.
inline constexpr EnumName<VlanMode> kVlanModeNames[] = {{VlanMode::kAccess, "access"},
                                                        {VlanMode::kTrunked, "trunked"}};
// <hvagent:nic type=…>; kNormal is written as no attribute.
inline constexpr EnumName<NicType> kNicTypeNames[] = {
    {NicType::kNormal, "normal"},
    {NicType::kDirect, "direct"},
    {NicType::kNetworkFunction, "network-function"}};
// <hvagent:nic role=…>; kNone is written as no attribute.
inline constexpr EnumName<NetworkFunctionRole> kNetworkFunctionRoleNames[] = {
    {NetworkFunctionRole::kNone, "none"},
    {NetworkFunctionRole::kIngress, "ingress"},
    {NetworkFunctionRole::kEgress, "egress"},
    {NetworkFunctionRole::kTap, "tap"}};
// <disk><target bus=…>.
inline constexpr EnumName<DiskBus> kDiskBusNames[] = {{DiskBus::kScsi, "scsi"},
                                                      {DiskBus::kVirtio, "virtio"},
                                                      {DiskBus::kSata, "sata"},
                                                      {DiskBus::kIde, "ide"}};
// <disk><driver type=…>.
inline constexpr EnumName<DiskFormat> kDiskFormatNames[] = {{DiskFormat::kRaw, "raw"},
                                                            {DiskFormat::kQcow2, "qcow2"}};
// <disk type=…>.
inline constexpr EnumName<DiskSourceType> kDiskSourceTypeNames[] = {
    {DiskSourceType::kFile, "file"}, {DiskSourceType::kBlock, "block"}};

// The name of `value`; every enumerator is in its table, so this never falls
// through except for kKernel in kBootDeviceNames, which callers handle first.
template <typename E, std::size_t N>
constexpr std::string_view NameOf(const EnumName<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return {};
}

template <typename E, std::size_t N>
constexpr std::optional<E> ValueOf(const EnumName<E> (&table)[N], std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// A whole string of decimal digits (no sign, space or suffix), as libvirt and
// the builder write numbers; pugixml's as_uint() would accept "12abc".
template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T value{};
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace hvagent::compute::internal
