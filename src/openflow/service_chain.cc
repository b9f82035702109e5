#include "hvagent/openflow/service_chain.h"

#include <set>

#include "hvagent/common/names.h"
#include "hvagent/openflow/flow.h"

namespace hvagent::openflow {

namespace {

constexpr size_t kMaxProcessors = 16;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The NIC MACs a processor uses, with the field that names each.
std::vector<std::pair<std::string, std::string>> ProcessorNics(const ProcessorSpec& p,
                                                               size_t index) {
  const std::string at = fmt::format("processors[{}].", index);
  if (p.kind == ProcessorKind::kTap) return {{at + "tap_nic_mac", p.tap_mac}};
  return {{at + "ingress_nic_mac", p.ingress_mac}, {at + "egress_nic_mac", p.egress_mac}};
}

}  // namespace

Status ValidateMac(std::string_view field, std::string_view mac) {
  bool ok = mac.size() == 17;
  for (size_t i = 0; ok && i < mac.size(); ++i) {
    ok = i % 3 == 2 ? mac[i] == ':' : IsLowerHex(mac[i]);
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(fmt::format(
      "{}: must be a MAC address in lower case, like 52:54:00:ab:cd:ef (is '{}')", field, mac));
}

Status ValidateChainSpec(const ChainSpec& chain) {
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName("name", chain.name));
  if (chain.network.empty() == chain.nic_macs.empty()) {
    return absl::InvalidArgumentError(
        "network, nic_macs: a chain applies to exactly one of a network or chosen VM NICs");
  }
  if (!chain.network.empty())
    HVAGENT_RETURN_IF_ERROR(ValidateResourceName("network", chain.network));
  if (chain.vlan_id && *chain.vlan_id > 4094) {
    return absl::InvalidArgumentError("network: its VLAN must be 0 (untagged) to 4094");
  }
  std::set<std::string> macs;
  for (size_t i = 0; i < chain.nic_macs.size(); ++i) {
    const std::string field = fmt::format("nic_macs[{}]", i);
    HVAGENT_RETURN_IF_ERROR(ValidateMac(field, chain.nic_macs[i]));
    if (!macs.insert(chain.nic_macs[i]).second) {
      return absl::InvalidArgumentError(
          fmt::format("{}: '{}' is listed twice", field, chain.nic_macs[i]));
    }
  }
  if (chain.processors.empty() || chain.processors.size() > kMaxProcessors) {
    return absl::InvalidArgumentError(
        fmt::format("processors: a chain has 1 to {} processors (has {})", kMaxProcessors,
                    chain.processors.size()));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < chain.processors.size(); ++i) {
    const ProcessorSpec& p = chain.processors[i];
    HVAGENT_RETURN_IF_ERROR(ValidateResourceName(fmt::format("processors[{}].name", i), p.name));
    if (!names.insert(p.name).second) {
      return absl::InvalidArgumentError(
          fmt::format("processors[{}].name: '{}' is used twice in the chain", i, p.name));
    }
    if (p.kind == ProcessorKind::kTap && (!p.ingress_mac.empty() || !p.egress_mac.empty())) {
      return absl::InvalidArgumentError(fmt::format(
          "processors[{}]: a tap processor has only tap_nic_mac, no ingress or egress NIC", i));
    }
    if (p.kind == ProcessorKind::kInline && !p.tap_mac.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "processors[{}].tap_nic_mac: an inline processor has ingress and egress NICs", i));
    }
    for (const auto& [field, mac] : ProcessorNics(p, i)) {
      if (mac.empty()) {
        return absl::InvalidArgumentError(fmt::format("{}: is required", field));
      }
      HVAGENT_RETURN_IF_ERROR(ValidateMac(field, mac));
      if (!macs.insert(mac).second) {
        return absl::InvalidArgumentError(
            fmt::format("{}: '{}' is used twice in the chain", field, mac));
      }
    }
  }
  return absl::OkStatus();
}

Status CheckNoOverlap(const ChainSpec& chain, const std::vector<ChainSpec>& others) {
  for (const ChainSpec& other : others) {
    if (other.name == chain.name) continue;
    if (!chain.network.empty() && chain.network == other.network) {
      return absl::FailedPreconditionError(
          fmt::format("network: '{}' already has chain '{}'", chain.network, other.name));
    }
    std::set<std::string> theirs(other.nic_macs.begin(), other.nic_macs.end());
    for (size_t i = 0; i < other.processors.size(); ++i) {
      for (const auto& [field, mac] : ProcessorNics(other.processors[i], i)) theirs.insert(mac);
    }
    for (size_t i = 0; i < chain.nic_macs.size(); ++i) {
      if (theirs.count(chain.nic_macs[i]) != 0) {
        return absl::FailedPreconditionError(fmt::format(
            "nic_macs[{}]: '{}' is already in chain '{}'", i, chain.nic_macs[i], other.name));
      }
    }
    for (size_t i = 0; i < chain.processors.size(); ++i) {
      for (const auto& [field, mac] : ProcessorNics(chain.processors[i], i)) {
        if (theirs.count(mac) != 0) {
          return absl::FailedPreconditionError(
              fmt::format("{}: '{}' is already in chain '{}'", field, mac, other.name));
        }
      }
    }
  }
  return absl::OkStatus();
}

uint64_t ChainIdFromUuid(std::string_view uuid) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : uuid) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  const uint64_t id = (hash ^ (hash >> 48)) & kCookieIdMask;
  return id == 0 ? 1 : id;
}

}  // namespace hvagent::openflow
