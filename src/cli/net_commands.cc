// net.*: networks, acli's named VLANs ("net.create vlan.10 vlan=10").
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/network.grpc.pb.h"

namespace hvagent::cli {
namespace {

using Stub = v1::NetworkService::Stub;

std::vector<Column> NetworkColumns() {
  return {{"NAME", "name"},      {"VLAN", "vlan_id"}, {"BRIDGE", "bridge"},
          {"NICS", "nic_count"}, {"UUID", "uuid"},    {"GENERATION", "generation"}};
}

int Create(Invocation& inv) {
  auto request = NamedChangeRequest<v1::CreateNetworkRequest>(inv);
  request.set_bridge(inv.args().String("bridge"));
  request.set_vlan_id(static_cast<uint32_t>(inv.args().Int("vlan")));
  return CallAndShow(inv, &Stub::CreateNetwork, request);
}

int List(Invocation& inv) {
  return CallAndListAllPages(inv, &Stub::ListNetworks, v1::ListNetworksRequest{}, "networks",
                             NetworkColumns());
}

int Update(Invocation& inv) {
  auto request = NamedChangeRequest<v1::UpdateNetworkRequest>(inv);
  request.set_vlan_id(static_cast<uint32_t>(inv.args().Int("vlan")));
  request.set_expected_generation(inv.args().Int("expected_generation"));
  return CallAndShow(inv, &Stub::UpdateNetwork, request);
}

}  // namespace

void AddNetCommands(CommandTable& table) {
  const KeySpec vlan = KeySpec::Int("vlan", "VLAN id; 0 = untagged", 0, 4094);
  table.Add({.name = "net.create",
             .summary = "Create a network: a named VLAN on a bridge",
             .positionals = {NameArg("network")},
             .keys = {KeySpec(vlan).Required(),
                      KeySpec::String("bridge", "the OVS bridge (default br0)")},
             .details = "Networks are conventionally named vlan.<id>: net.create vlan.10 vlan=10",
             .run = Create});
  table.Add(GetCommand("net.get", "Show one network", "network", &Stub::GetNetwork));
  table.Add({.name = "net.list", .summary = "List the networks", .run = List});
  table.Add({.name = "net.update",
             .summary = "Change a network's VLAN (every port on it follows)",
             .positionals = {NameArg("network")},
             .keys = {KeySpec(vlan).Required(),
                      KeySpec::Int("expected_generation",
                                   "refuse (ABORTED) unless the network is at this generation", 1,
                                   std::numeric_limits<int64_t>::max())},
             .run = Update});
  table.Add(DeleteCommand("net.delete", "Delete a network (refused while NICs use it)", "network",
                          &Stub::DeleteNetwork));
}

}  // namespace hvagent::cli
