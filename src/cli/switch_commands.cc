// bridge.*, bond.*, tunnel.*, mirror.*: the Open vSwitch side of the host.
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/network.grpc.pb.h"

namespace hvagent::cli {
namespace {

using Stub = v1::NetworkService::Stub;

// --- bridges ---------------------------------------------------------------------

int BridgeCreate(Invocation& inv) {
  auto request = NamedChangeRequest<v1::CreateBridgeRequest>(inv);
  request.set_datapath_type(static_cast<v1::DatapathType>(inv.args().Enum("datapath_type")));
  return CallAndShow(inv, &Stub::CreateBridge, request);
}

// --- bonds -------------------------------------------------------------------------

std::vector<KeySpec> BondKeys(bool members_required) {
  KeySpec members = KeySpec::StringList("members", "physical NICs, e.g. eth0,eth1 (2–8)");
  if (members_required) members = std::move(members).Required();
  return {members,
          KeySpec::Enum("mode", "bond mode (default active-backup)",
                        {{"active-backup", v1::BOND_MODE_ACTIVE_BACKUP},
                         {"balance-slb", v1::BOND_MODE_BALANCE_SLB},
                         {"balance-tcp", v1::BOND_MODE_BALANCE_TCP}}),
          KeySpec::Enum("lacp", "LACP (default off)",
                        {{"off", v1::LACP_MODE_OFF},
                         {"active", v1::LACP_MODE_ACTIVE},
                         {"passive", v1::LACP_MODE_PASSIVE}}),
          KeySpec::Enum("lacp_time", "LACP rate (default slow)",
                        {{"slow", v1::LACP_TIME_SLOW}, {"fast", v1::LACP_TIME_FAST}}),
          KeySpec::Bool("lacp_fallback",
                        "fall back to active-backup when the peer does not negotiate LACP"),
          KeySpec::Int("rebalance_interval_ms", "balance-slb rebalance interval", 1000, 10000000)};
}

void ApplyBondKeys(const ParsedCommand& a, v1::BondSpec* spec) {
  if (a.Has("members")) {
    spec->clear_members();
    for (const std::string& m : a.StringList("members")) spec->add_members(m);
  }
  if (a.Has("mode")) spec->set_mode(static_cast<v1::BondMode>(a.Enum("mode")));
  if (a.Has("lacp")) spec->set_lacp(static_cast<v1::LacpMode>(a.Enum("lacp")));
  if (a.Has("lacp_time")) spec->set_lacp_time(static_cast<v1::LacpTime>(a.Enum("lacp_time")));
  if (a.Has("lacp_fallback")) spec->set_lacp_fallback_active_backup(a.Bool("lacp_fallback"));
  if (a.Has("rebalance_interval_ms")) {
    spec->set_rebalance_interval_ms(static_cast<uint32_t>(a.Int("rebalance_interval_ms")));
  }
}

int BondCreate(Invocation& inv) {
  auto request = NamedChangeRequest<v1::CreateBondRequest>(inv);
  request.set_bridge(inv.args().String("bridge"));
  ApplyBondKeys(inv.args(), request.mutable_spec());
  return CallAndShow(inv, &Stub::CreateBond, request);
}

int BondUpdate(Invocation& inv) {
  if (inv.args().values.empty()) return inv.UsageError("nothing to change: give at least one key");
  // UpdateBond takes the whole spec: start from the bond as it is.
  v1::Bond current;
  const grpc::Status got =
      inv.Call(&Stub::GetBond, NamedRequest<v1::GetBondRequest>(inv), &current);
  if (!got.ok()) return inv.Fail(got);
  auto request = NamedChangeRequest<v1::UpdateBondRequest>(inv);
  *request.mutable_spec() = current.spec();
  ApplyBondKeys(inv.args(), request.mutable_spec());
  return CallAndShow(inv, &Stub::UpdateBond, request);
}

// --- tunnels -------------------------------------------------------------------------

int TunnelCreate(Invocation& inv) {
  v1::CreateTunnelRequest request;
  request.set_request_id(inv.NewRequestId());
  v1::Tunnel* t = request.mutable_tunnel();
  t->set_name(inv.positional(0));
  t->set_bridge(inv.args().String("bridge"));
  t->set_remote_ip(inv.args().String("remote_ip"));
  t->set_vni(static_cast<uint32_t>(inv.args().Int("vni")));
  t->set_dst_port(static_cast<uint32_t>(inv.args().Int("dst_port")));
  t->set_local_ip(inv.args().String("local_ip"));
  return CallAndShow(inv, &Stub::CreateTunnel, request);
}

// --- mirrors -------------------------------------------------------------------------

int MirrorCreate(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  if (!a.Has("select_src_ports") && !a.Has("select_dst_ports") && !a.Has("select_vlans") &&
      !a.Bool("select_all")) {
    return inv.UsageError(
        "select some traffic: select_src_ports, select_dst_ports, select_vlans or select_all=true");
  }
  v1::CreateMirrorRequest request;
  request.set_request_id(inv.NewRequestId());
  v1::Mirror* m = request.mutable_mirror();
  m->set_name(inv.positional(0));
  m->set_bridge(a.String("bridge"));
  for (const std::string& p : a.StringList("select_src_ports")) m->add_select_src_ports(p);
  for (const std::string& p : a.StringList("select_dst_ports")) m->add_select_dst_ports(p);
  for (const int64_t v : a.IntList("select_vlans")) m->add_select_vlans(static_cast<uint32_t>(v));
  m->set_select_all(a.Bool("select_all"));
  m->set_output_port(a.String("output_port"));
  return CallAndShow(inv, &Stub::CreateMirror, request);
}

}  // namespace

void AddSwitchCommands(CommandTable& table) {
  const KeySpec bridge = KeySpec::String("bridge", "the OVS bridge (default br0)");

  table.Add({.name = "bridge.create",
             .summary = "Create an OVS bridge",
             .positionals = {NameArg("bridge")},
             .keys = {KeySpec::Enum(
                 "datapath_type", "datapath (default: the agent's configured)",
                 {{"system", v1::DATAPATH_TYPE_SYSTEM}, {"netdev", v1::DATAPATH_TYPE_NETDEV}})},
             .run = BridgeCreate});
  table.Add(GetCommand("bridge.get", "Show a bridge and its ports", "bridge", &Stub::GetBridge));
  table.Add(ListCommand(
      "bridge.list", "List the bridges", &Stub::ListBridges, "bridges",
      {{"NAME", "name"}, {"DATAPATH", "datapath_type"}, {"AGENT_OWNED", "agent_owned"}}));
  table.Add(DeleteCommand("bridge.delete", "Delete a bridge the agent created", "bridge",
                          &Stub::DeleteBridge));

  std::vector<KeySpec> bond_create_keys = BondKeys(/*members_required=*/true);
  bond_create_keys.insert(bond_create_keys.begin() + 1, bridge);
  table.Add({.name = "bond.create",
             .summary = "Create an uplink bond of physical NICs (br0-up on br0 by convention)",
             .positionals = {NameArg("bond")},
             .keys = std::move(bond_create_keys),
             .details = "bond.create br0-up members=eth0,eth1 mode=active-backup",
             .run = BondCreate});
  table.Add(GetCommand("bond.get", "Show a bond with its members' status", "bond", &Stub::GetBond));
  table.Add(ListCommand("bond.list", "List the bonds", &Stub::ListBonds, "bonds",
                        {{"NAME", "name"},
                         {"BRIDGE", "bridge"},
                         {"MODE", "spec.mode"},
                         {"MEMBERS", "spec.members"},
                         {"ACTIVE", "active_member"},
                         {"LACP", "lacp_status"}}));
  table.Add({.name = "bond.update",
             .summary = "Change a bond's members, mode or LACP in place",
             .positionals = {NameArg("bond")},
             .keys = BondKeys(/*members_required=*/false),
             .details = "Keys not given keep their current values.",
             .run = BondUpdate});
  table.Add(DeleteCommand("bond.delete", "Delete a bond", "bond", &Stub::DeleteBond));

  table.Add(
      {.name = "tunnel.create",
       .summary = "Create a VXLAN tunnel to another host",
       .positionals = {NameArg("tunnel")},
       .keys = {KeySpec::String("remote_ip", "the peer host's underlay address").Required(),
                KeySpec::Int("vni", "VXLAN network identifier", 1, 16777215).Required(), bridge,
                KeySpec::Int("dst_port", "UDP port (default 4789)", 1, 65535),
                KeySpec::String("local_ip", "this host's underlay address (default: routed)")},
       .run = TunnelCreate});
  table.Add(ListCommand("tunnel.list", "List the tunnels", &Stub::ListTunnels, "tunnels",
                        {{"NAME", "name"},
                         {"BRIDGE", "bridge"},
                         {"REMOTE_IP", "remote_ip"},
                         {"VNI", "vni"},
                         {"DST_PORT", "dst_port"}}));
  table.Add(DeleteCommand("tunnel.delete", "Delete a tunnel", "tunnel", &Stub::DeleteTunnel));

  table.Add({.name = "mirror.create",
             .summary = "Mirror selected traffic to a port",
             .positionals = {NameArg("mirror")},
             .keys = {KeySpec::String("output_port", "where the copies go").Required(), bridge,
                      KeySpec::StringList("select_src_ports", "packets entering these ports"),
                      KeySpec::StringList("select_dst_ports", "packets leaving these ports"),
                      KeySpec::IntList("select_vlans", "packets on these VLANs", 1, 4094),
                      KeySpec::Bool("select_all", "every packet on the bridge")},
             .run = MirrorCreate});
  table.Add(ListCommand("mirror.list", "List the mirrors", &Stub::ListMirrors, "mirrors",
                        {{"NAME", "name"},
                         {"BRIDGE", "bridge"},
                         {"OUTPUT", "output_port"},
                         {"SRC_PORTS", "select_src_ports"},
                         {"DST_PORTS", "select_dst_ports"},
                         {"VLANS", "select_vlans"},
                         {"ALL", "select_all"}}));
  table.Add(DeleteCommand("mirror.delete", "Delete a mirror", "mirror", &Stub::DeleteMirror));
}

}  // namespace hvagent::cli
