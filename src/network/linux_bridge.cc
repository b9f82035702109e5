#include "hvagent/network/linux_bridge.h"

namespace hvagent::network {

StatusOr<LinuxBridgeSpec> ParseLinuxBridgeSpec(const std::string& name, std::string_view field,
                                               std::string_view cidr) {
  HVAGENT_ASSIGN_OR_RETURN(Ipv4Prefix prefix, ParseIpv4Prefix(field, cidr));
  if (prefix.prefix_len < 8 || prefix.prefix_len > 30) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: '{}' needs a prefix length of 8–30 (room for the host and the CVM)", field, cidr));
  }
  const uint32_t host_bits = ~uint32_t{0} >> prefix.prefix_len;
  if ((prefix.address & host_bits) == host_bits) {
    return absl::InvalidArgumentError(
        fmt::format("{}: '{}' is the subnet's broadcast address", field, cidr));
  }
  // The subnet itself given: the host takes the first address.
  if (prefix.address == prefix.Network()) prefix.address += 1;
  if (name.empty() || name.size() > 15) {
    return absl::InvalidArgumentError(
        fmt::format("internal bridge name '{}' must be 1–15 characters", name));
  }
  return LinuxBridgeSpec{.name = name, .host = prefix};
}

Status LinuxBridge::Ensure(const LinuxBridgeSpec& spec) {
  HVAGENT_ASSIGN_OR_RETURN(NetlinkSocket nl, NetlinkSocket::Open());
  if (nl.IndexOf(spec.name).ok()) {
    HVAGENT_ASSIGN_OR_RETURN(const std::string kind, nl.LinkKind(spec.name));
    if (kind != "bridge") {
      return absl::FailedPreconditionError(fmt::format(
          "'{}' exists and is not a Linux bridge (kind '{}'); it is left alone", spec.name, kind));
    }
  } else {
    Status created = nl.CreateBridge(spec.name);
    // Another caller may have made it between the check and here: fine.
    if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) return created;
  }
  HVAGENT_RETURN_IF_ERROR(nl.AddIpv4Address(spec.name, spec.host));
  return nl.SetUp(spec.name);
}

Status LinuxBridge::Attach(const std::string& bridge, const std::string& ifname) {
  HVAGENT_ASSIGN_OR_RETURN(NetlinkSocket nl, NetlinkSocket::Open());
  HVAGENT_ASSIGN_OR_RETURN(const std::string kind, nl.LinkKind(bridge));
  if (kind != "bridge") {
    return absl::FailedPreconditionError(fmt::format("'{}' is not a Linux bridge", bridge));
  }
  HVAGENT_RETURN_IF_ERROR(nl.SetMaster(ifname, bridge));
  return nl.SetUp(ifname);
}

StatusOr<LinuxBridgeState> LinuxBridge::Describe(const LinuxBridgeSpec& spec) {
  HVAGENT_ASSIGN_OR_RETURN(NetlinkSocket nl, NetlinkSocket::Open());
  if (!nl.IndexOf(spec.name).ok()) {
    return absl::NotFoundError(fmt::format("the internal bridge '{}' does not exist", spec.name));
  }
  LinuxBridgeState state{
      .name = spec.name,
      .subnet =
          Ipv4Prefix{.address = spec.host.Network(), .prefix_len = spec.host.prefix_len}.ToString(),
      .host_address = spec.host.AddressString()};
  HVAGENT_ASSIGN_OR_RETURN(state.ports, nl.LinksWithMaster(spec.name));
  return state;
}

}  // namespace hvagent::network
