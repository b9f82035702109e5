#include "hvagent/network/tunnel.h"

#include <arpa/inet.h>

#include <charconv>

#include "hvagent/common/names.h"
#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/ovsdb/datum.h"
#include "owned_rows.h"

namespace hvagent::network {

using nlohmann::json;

namespace {

// AF_INET or AF_INET6 for a literal address, 0 if it is neither.
int FamilyOf(const std::string& ip) {
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) return AF_INET6;
  return 0;
}

// Why a tunnel endpoint address of `family` cannot be one peer's own address
// (empty when it can): the unspecified address, IPv4 broadcast and multicast
// name no single host.
std::string NotUnicast(const std::string& ip, int family) {
  if (family == AF_INET) {
    in_addr a{};
    inet_pton(AF_INET, ip.c_str(), &a);
    const uint32_t v = ntohl(a.s_addr);
    if (v == 0) return "the unspecified address";
    if (v == 0xFFFFFFFFu) return "the broadcast address";
    if ((v >> 28) == 0xE) return "a multicast address (224.0.0.0/4)";
  } else if (family == AF_INET6) {
    in6_addr a{};
    inet_pton(AF_INET6, ip.c_str(), &a);
    if (IN6_IS_ADDR_UNSPECIFIED(&a)) return "the unspecified address";
    if (IN6_IS_ADDR_MULTICAST(&a)) return "a multicast address (ff00::/8)";
  }
  return "";
}

uint32_t ParseUint(const std::string& text) {
  uint32_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

TunnelSpec FromRow(const rows::OwnedPort& port) {
  const auto opt = [&](const char* key) { return MapValue(port.options, key); };
  return {.name = port.name,
          .bridge = port.bridge,
          .remote_ip = opt("remote_ip"),
          .vni = ParseUint(opt("key")),
          .local_ip = opt("local_ip"),
          .dst_port = ParseUint(opt("dst_port"))};
}

}  // namespace

Status ValidateTunnelSpec(const TunnelSpec& spec) {
  Status status = ValidateInterfaceName("name", spec.name);
  status.Update(ValidateInterfaceName("bridge", spec.bridge));
  const int remote = FamilyOf(spec.remote_ip);
  if (remote == 0) {
    status.Update(absl::InvalidArgumentError(
        fmt::format("remote_ip: '{}' must be an IPv4 or IPv6 address literal", spec.remote_ip)));
  } else if (const std::string why = NotUnicast(spec.remote_ip, remote); !why.empty()) {
    status.Update(absl::InvalidArgumentError(
        fmt::format("remote_ip: '{}' is {}; a tunnel's peer is one host's unicast address",
                    spec.remote_ip, why)));
  }
  if (!spec.local_ip.empty()) {
    const int local = FamilyOf(spec.local_ip);
    if (local == 0) {
      status.Update(absl::InvalidArgumentError(fmt::format(
          "local_ip: '{}' must be empty or an IPv4 or IPv6 address literal", spec.local_ip)));
    } else if (const std::string why = NotUnicast(spec.local_ip, local); !why.empty()) {
      status.Update(absl::InvalidArgumentError(fmt::format(
          "local_ip: '{}' is {}; it must be one of this host's unicast addresses, or empty",
          spec.local_ip, why)));
    } else if (remote != 0 && local != remote) {
      status.Update(absl::InvalidArgumentError(
          fmt::format("local_ip: '{}' must be of the same family as remote_ip '{}'", spec.local_ip,
                      spec.remote_ip)));
    }
  }
  if (spec.vni > kMaxVni) {
    status.Update(absl::InvalidArgumentError(
        fmt::format("vni: {} must be 0–{} (24 bits)", spec.vni, kMaxVni)));
  }
  if (spec.dst_port > 65535) {
    status.Update(absl::InvalidArgumentError(
        fmt::format("dst_port: {} must be 0 (4789) or 1–65535", spec.dst_port)));
  }
  return status;
}

json CreateTunnelOperations(const TunnelSpec& spec) {
  std::map<std::string, std::string> options{{"remote_ip", spec.remote_ip},
                                             {"key", std::to_string(spec.vni)}};
  if (!spec.local_ip.empty()) options["local_ip"] = spec.local_ip;
  if (spec.dst_port != 0) options["dst_port"] = std::to_string(spec.dst_port);
  return rows::AddPortOperations(spec.bridge, spec.name,
                                 {{"type", "vxlan"}, {"options", ovsdb::Map(options)}},
                                 json::object(), rows::OwnerTags(kTunnelKind, spec.name));
}

Status TunnelManager::Create(const TunnelSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateTunnelSpec(spec));
  HVAGENT_ASSIGN_OR_RETURN(const auto existing, rows::FindPort(ovsdb_, spec.name));
  if (existing) {
    return rows::CheckRetriedCreate(*existing, kTunnelKind, FromRow(*existing) == spec, "tunnel",
                                    "a tunnel", "another bridge, remote, VNI or port");
  }
  return rows::ExplainBridgeWait(ovsdb_.Transact(CreateTunnelOperations(spec)).status(),
                                 spec.bridge);
}

StatusOr<std::vector<TunnelSpec>> TunnelManager::List() {
  return rows::ListOwnedPortsAs(ovsdb_, kTunnelKind, FromRow);
}

Status TunnelManager::Delete(const std::string& name) {
  return rows::DeleteOwnedPort(ovsdb_, kTunnelKind, name);
}

}  // namespace hvagent::network
