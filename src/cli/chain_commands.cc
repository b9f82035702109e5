// chain.*: service chains, a network's (or chosen NICs') traffic through
// packet processors in br.nf (docs/service-chains.md).
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/network.grpc.pb.h"

namespace hvagent::cli {
namespace {

using Stub = v1::NetworkService::Stub;

// "fw/inline/INGRESS_MAC/EGRESS_MAC" or "ids/tap/TAP_MAC": one processor.
bool ParseProcessor(const std::string& text, v1::PacketProcessor* out) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  out->set_name(parts[0]);
  if (parts.size() == 4 && parts[1] == "inline") {
    out->set_type(v1::PROCESSOR_TYPE_INLINE);
    out->set_ingress_nic_mac(parts[2]);
    out->set_egress_nic_mac(parts[3]);
    return true;
  }
  if (parts.size() == 3 && parts[1] == "tap") {
    out->set_type(v1::PROCESSOR_TYPE_TAP);
    out->set_tap_nic_mac(parts[2]);
    return true;
  }
  return false;
}

// The chain's spec from the command line; a usage error (returned) if not.
int FillChain(Invocation& inv, v1::ServiceChain* chain) {
  const ParsedCommand& a = inv.args();
  chain->set_name(inv.positional(0));
  chain->set_network(a.String("network"));
  for (const std::string& mac : a.StringList("nic_macs")) chain->add_nic_macs(mac);
  for (const std::string& p : a.StringList("processors")) {
    if (!ParseProcessor(p, chain->add_processors())) {
      return inv.UsageError("processors: '" + p +
                            "' is not NAME/inline/INGRESS_MAC/EGRESS_MAC or NAME/tap/TAP_MAC");
    }
  }
  chain->set_failure_policy(static_cast<v1::FailurePolicy>(a.Enum("failure_policy")));
  return 0;
}

int ChainCreate(Invocation& inv) {
  v1::CreateServiceChainRequest request;
  request.set_request_id(inv.NewRequestId());
  if (const int bad = FillChain(inv, request.mutable_chain()); bad != 0) return bad;
  return CallAndShow(inv, &Stub::CreateServiceChain, request);
}

int ChainUpdate(Invocation& inv) {
  v1::UpdateServiceChainRequest request;
  request.set_request_id(inv.NewRequestId());
  if (const int bad = FillChain(inv, request.mutable_chain()); bad != 0) return bad;
  return CallAndShow(inv, &Stub::UpdateServiceChain, request);
}

// Its NAME is "the chain's name"; what it prints is "service chain NAME deleted".
int ChainDelete(Invocation& inv) {
  return DeleteNamed(inv, &Stub::DeleteServiceChain, "service chain");
}

std::vector<KeySpec> ChainKeys() {
  return {KeySpec::StringList("processors",
                              "in order: NAME/inline/INGRESS_MAC/EGRESS_MAC or NAME/tap/TAP_MAC")
              .Required(),
          KeySpec::String("network", "the network whose VM NICs are chained (or nic_macs)"),
          KeySpec::StringList("nic_macs", "the VM NICs chained, by MAC (or network)"),
          KeySpec::Enum("failure_policy", "when an inline processor is down (default kFailClosed)",
                        {{"kFailClosed", v1::FAILURE_POLICY_FAIL_CLOSED},
                         {"kFailOpen", v1::FAILURE_POLICY_FAIL_OPEN}})};
}

}  // namespace

void AddChainCommands(CommandTable& table) {
  table.Add({.name = "chain.create",
             .summary = "Send a network's (or chosen NICs') traffic through packet processors",
             .positionals = {NameArg("chain")},
             .keys = ChainKeys(),
             .details = "chain.create web network=vlan.10 "
                        "processors=fw/inline/52:54:00:00:00:01/52:54:00:00:00:02,"
                        "ids/tap/52:54:00:00:00:03 failure_policy=kFailOpen",
             .run = ChainCreate});
  table.Add(GetCommand("chain.get", "Show a service chain and its state", "chain",
                       &Stub::GetServiceChain));
  table.Add(ListCommand("chain.list", "List the service chains", &Stub::ListServiceChains, "chains",
                        {{"NAME", "name"},
                         {"NETWORK", "network"},
                         {"NICS", "nic_macs"},
                         {"POLICY", "failure_policy"},
                         {"STATE", "state"},
                         {"DOWN", "processors_down"}}));
  table.Add({.name = "chain.update",
             .summary = "Replace a service chain's processors, coverage or failure policy",
             .positionals = {NameArg("chain")},
             .keys = ChainKeys(),
             .details = "Every key is replaced: give the whole chain.",
             .run = ChainUpdate});
  table.Add({.name = "chain.delete",
             .summary = "Delete a service chain (its flows go)",
             .positionals = {NameArg("chain")},
             .run = ChainDelete});
}

}  // namespace hvagent::cli
