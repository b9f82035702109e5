// NetworkService's conversions between hvagent.v1 messages and the network
// module's specs and states. Enum values this agent does not know (proto3
// enums are open) are refused naming the field.
#include "hvagent/api/network_convert.h"

#include "proto_enum_maps.h"

namespace hvagent::api {

namespace {

// `value` of the proto field `field` as the network module's enum; values this
// agent does not know (proto3 enums are open) are refused naming the field.
template <typename Internal, typename Proto, size_t N>
StatusOr<Internal> FromProto(const EnumMap<Internal, Proto, N>& map, Proto value,
                             std::string_view field, std::string_view what) {
  if (const std::optional<Internal> known = map.From(value)) return *known;
  return absl::InvalidArgumentError(
      fmt::format("{}: {} is not {} this agent knows", field, value, what));
}

}  // namespace

v1::DatapathType DatapathToProto(const std::string& type) {
  if (type == "netdev") return v1::DATAPATH_TYPE_NETDEV;
  return v1::DATAPATH_TYPE_SYSTEM;
}

v1::PortKind PortKindToProto(network::PortKind kind) {
  return kPortKinds.To(kind).value_or(v1::PORT_KIND_OTHER);
}

void BridgeToProto(const network::BridgeInfo& info, v1::Bridge* out) {
  out->set_name(info.name);
  out->set_datapath_type(DatapathToProto(info.datapath_type));
  out->set_agent_owned(info.agent_owned);
  for (const auto& p : info.ports) {
    auto* port = out->add_ports();
    port->set_name(p.name);
    port->set_kind(PortKindToProto(p.kind));
    port->set_tag(p.tag);
    for (const uint32_t t : p.trunks) port->add_trunks(t);
    port->set_agent_owned(p.agent_owned);
  }
}

void BondToProto(const network::BondStatus& status, v1::Bond* out) {
  out->set_name(status.name);
  out->set_bridge(status.bridge);
  auto* spec = out->mutable_spec();
  for (const auto& m : status.spec.members) spec->add_members(m);
  spec->set_mode(*kBondModes.To(status.spec.mode));
  spec->set_lacp(*kLacpModes.To(status.spec.lacp));
  spec->set_lacp_time(*kLacpTimes.To(status.spec.lacp_time));
  spec->set_lacp_fallback_active_backup(status.spec.lacp_fallback_active_backup);
  spec->set_rebalance_interval_ms(status.spec.rebalance_interval_ms);
  for (const auto& m : status.members) {
    auto* member = out->add_members();
    member->set_name(m.name);
    member->set_enabled(m.enabled);
    member->set_carrier(m.carrier);
    member->set_active(m.active);
    member->set_lacp_state(m.lacp_state);
  }
  out->set_active_member(status.active_member);
  out->set_lacp_status(status.lacp_status);
}

// The proto spec as the network module's, refusing enum values this agent
// does not know (proto3 enums are open).
StatusOr<network::BondSpec> BondSpecFromProto(const v1::BondSpec& in) {
  network::BondSpec spec{.members = {in.members().begin(), in.members().end()},
                         .lacp_fallback_active_backup = in.lacp_fallback_active_backup(),
                         .rebalance_interval_ms = in.rebalance_interval_ms()};
  HVAGENT_ASSIGN_OR_RETURN(spec.mode, FromProto(kBondModes, in.mode(), "spec.mode", "a bond mode"));
  HVAGENT_ASSIGN_OR_RETURN(spec.lacp,
                           FromProto(kLacpModes, in.lacp(), "spec.lacp", "an LACP mode"));
  HVAGENT_ASSIGN_OR_RETURN(spec.lacp_time,
                           FromProto(kLacpTimes, in.lacp_time(), "spec.lacp_time", "an LACP time"));
  HVAGENT_RETURN_IF_ERROR(network::ValidateBondSpec(spec));
  return spec;
}

StatusOr<std::string> DatapathName(v1::DatapathType type) {
  switch (type) {
    case v1::DATAPATH_TYPE_UNSPECIFIED: return std::string();
    case v1::DATAPATH_TYPE_SYSTEM: return std::string("system");
    case v1::DATAPATH_TYPE_NETDEV: return std::string("netdev");
    default:
      return absl::InvalidArgumentError(
          fmt::format("datapath_type: {} is not a datapath type this agent knows", type));
  }
}

void InternalPortToProto(const network::InternalPortSpec& spec, v1::InternalPort* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  out->set_network(spec.network);
  out->set_address(spec.address);
  out->set_vlan_id(spec.vlan_id);
}

network::TunnelSpec TunnelFromProto(const v1::Tunnel& tunnel) {
  return {.name = tunnel.name(),
          .bridge = tunnel.bridge().empty() ? network::kDefaultBridgeName : tunnel.bridge(),
          .remote_ip = tunnel.remote_ip(),
          .vni = tunnel.vni(),
          .local_ip = tunnel.local_ip(),
          .dst_port = tunnel.dst_port()};
}

void TunnelToProto(const network::TunnelSpec& spec, v1::Tunnel* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  out->set_remote_ip(spec.remote_ip);
  out->set_vni(spec.vni);
  out->set_dst_port(spec.dst_port);
  out->set_local_ip(spec.local_ip);
}

network::MirrorSpec MirrorFromProto(const v1::Mirror& mirror) {
  return {.name = mirror.name(),
          .bridge = mirror.bridge().empty() ? network::kDefaultBridgeName : mirror.bridge(),
          .select_src_ports = {mirror.select_src_ports().begin(), mirror.select_src_ports().end()},
          .select_dst_ports = {mirror.select_dst_ports().begin(), mirror.select_dst_ports().end()},
          .select_vlans = {mirror.select_vlans().begin(), mirror.select_vlans().end()},
          .select_all = mirror.select_all(),
          .output_port = mirror.output_port()};
}

void MirrorToProto(const network::MirrorSpec& spec, v1::Mirror* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  for (const auto& p : spec.select_src_ports) out->add_select_src_ports(p);
  for (const auto& p : spec.select_dst_ports) out->add_select_dst_ports(p);
  for (const uint32_t v : spec.select_vlans) out->add_select_vlans(v);
  out->set_select_all(spec.select_all);
  out->set_output_port(spec.output_port);
}

}  // namespace hvagent::api
