// Conversions between hvagent.v1's switch messages (bridges, bonds, internal
// ports, tunnels, mirrors) and the network module's types (network_convert.cc),
// unit-tested with round trips.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent/network/internal_port.h"
#include "hvagent/network/mirror.h"
#include "hvagent/network/tunnel.h"
#include "hvagent/v1/network.pb.h"

namespace hvagent::api {

v1::DatapathType DatapathToProto(const std::string& type);
// "" (unspecified: the agent's default), "system" or "netdev".
StatusOr<std::string> DatapathName(v1::DatapathType type);
v1::PortKind PortKindToProto(network::PortKind kind);
void BridgeToProto(const network::BridgeInfo& info, v1::Bridge* out);

// Checked with network::ValidateBondSpec; field names are "spec.…".
StatusOr<network::BondSpec> BondSpecFromProto(const v1::BondSpec& in);
void BondToProto(const network::BondStatus& status, v1::Bond* out);

void InternalPortToProto(const network::InternalPortSpec& spec, v1::InternalPort* out);
// An empty bridge is br0.
network::TunnelSpec TunnelFromProto(const v1::Tunnel& tunnel);
void TunnelToProto(const network::TunnelSpec& spec, v1::Tunnel* out);
network::MirrorSpec MirrorFromProto(const v1::Mirror& mirror);
void MirrorToProto(const network::MirrorSpec& spec, v1::Mirror* out);

}  // namespace hvagent::api
