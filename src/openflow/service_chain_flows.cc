#include "hvagent/openflow/service_chain_flows.h"

#include <algorithm>
#include <set>

namespace hvagent::openflow {

namespace {

// Priorities in table 0 (higher wins).
constexpr uint16_t kGuardPriority = 1000;     // processor NICs: nothing in, by default
constexpr uint16_t kSteeredPriority = 1100;   // a steered VLAN, no chain / flood
constexpr uint16_t kChainPriority = 1200;     // a chain's entry (network, or to a NIC)
constexpr uint16_t kNicChainPriority = 1300;  // a chosen NIC's own traffic; delivery by MAC
constexpr uint16_t kReturnPriority = 1400;    // back from an inline processor

constexpr const char* kMulticast = "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00";
constexpr const char* kClearInPort = "load:0->NXM_OF_IN_PORT[]";

std::string VlanMatch(uint32_t vlan) {
  return vlan == 0 ? "vlan_tci=0x0000/0x1fff" : fmt::format("dl_vlan={}", vlan);
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : ",") + part;
  return out;
}

std::string Output(uint32_t port) { return fmt::format("output:{}", port); }

// How a VM NIC port carries `vlan`: untagged, tagged, or not at all.
enum class Carries { kNo, kUntagged, kTagged };
Carries CarriesVlan(const VmNicPort& port, uint32_t vlan) {
  if (port.vlan_id == vlan) return Carries::kUntagged;
  if (port.trunked &&
      std::find(port.trunks.begin(), port.trunks.end(), vlan) != port.trunks.end()) {
    return Carries::kTagged;
  }
  return Carries::kNo;
}

// The VLANs a chain steers on br0.local.
std::set<uint32_t> SteeredVlans(const std::vector<ChainSpec>& chains, const ChainPorts& ports) {
  std::set<uint32_t> vlans;
  for (const ChainSpec& chain : chains) {
    if (chain.vlan_id) vlans.insert(*chain.vlan_id);
    for (const VmNicPort& port : ports.vm_nics) {
      if (std::find(chain.nic_macs.begin(), chain.nic_macs.end(), port.mac) ==
          chain.nic_macs.end()) {
        continue;
      }
      vlans.insert(port.vlan_id);
      if (port.trunked) vlans.insert(port.trunks.begin(), port.trunks.end());
    }
  }
  return vlans;
}

// Actions sending a frame of `vlan` (tagged on the patch) to `members`:
// tagged receivers first, then the tag off for the untagged ones.
std::string Flood(const std::vector<const VmNicPort*>& members, uint32_t vlan) {
  std::vector<std::string> actions;
  std::vector<std::string> untagged;
  for (const VmNicPort* port : members) {
    if (CarriesVlan(*port, vlan) == Carries::kTagged) {
      actions.push_back(Output(port->ofport));
    } else {
      untagged.push_back(Output(port->ofport));
    }
  }
  if (!untagged.empty() && vlan != 0) actions.push_back("strip_vlan");
  actions.insert(actions.end(), untagged.begin(), untagged.end());
  return actions.empty() ? "drop" : Join(actions);
}

void AddLocalFlows(uint32_t vlan, const ChainPorts& ports, std::vector<Flow>& out) {
  const uint32_t patch = ports.local_to_microseg;
  std::vector<const VmNicPort*> members;
  std::set<std::string> macs;
  for (const VmNicPort& port : ports.vm_nics) {
    if (CarriesVlan(port, vlan) != Carries::kNo && macs.insert(port.mac).second) {
      members.push_back(&port);
    }
  }
  const std::string from_patch = fmt::format("in_port={},{}", patch, VlanMatch(vlan));
  out.push_back({kSharedCookie, 0, kSteeredPriority, from_patch, Flood(members, vlan)});
  for (const VmNicPort* port : members) {
    const bool tagged = CarriesVlan(*port, vlan) == Carries::kTagged;
    // Up: only to the patch, tagged as NORMAL would have tagged it.
    out.push_back(
        {kSharedCookie, 0, kSteeredPriority,
         fmt::format("in_port={},{}", port->ofport, tagged ? VlanMatch(vlan) : VlanMatch(0)),
         tagged || vlan == 0 ? Output(patch)
                             : fmt::format("mod_vlan_vid:{},{}", vlan, Output(patch))});
    // Down: to its MAC only; a hairpinned flood to all members but the sender.
    out.push_back({kSharedCookie, 0, kNicChainPriority,
                   fmt::format("{},dl_dst={}", from_patch, port->mac),
                   tagged || vlan == 0 ? Output(port->ofport)
                                       : fmt::format("strip_vlan,{}", Output(port->ofport))});
    std::vector<const VmNicPort*> others;
    for (const VmNicPort* other : members) {
      if (other != port) others.push_back(other);
    }
    out.push_back({kSharedCookie, 0, kChainPriority,
                   fmt::format("{},dl_src={}", from_patch, port->mac), Flood(others, vlan)});
  }
}

void AddSteeredNfFlows(uint32_t vlan, const ChainPorts& ports, std::vector<Flow>& out) {
  const uint32_t down = ports.nf_to_microseg;
  const uint32_t up = ports.nf_to_br0;
  out.push_back({kSharedCookie, 0, kSteeredPriority,
                 fmt::format("in_port={},{}", down, VlanMatch(vlan)),
                 fmt::format("{},resubmit(,{})", kClearInPort, kDeliverOutboundTable)});
  out.push_back({kSharedCookie, 0, kSteeredPriority,
                 fmt::format("in_port={},{}", up, VlanMatch(vlan)), Output(down)});
  // Table 50: where outbound traffic goes once its chain is done.
  std::set<std::string> local;
  for (const VmNicPort& port : ports.vm_nics) {
    if (CarriesVlan(port, vlan) != Carries::kNo) local.insert(port.mac);
  }
  for (const std::string& mac : local) {
    out.push_back({kSharedCookie, kDeliverOutboundTable, 300,
                   fmt::format("{},dl_dst={}", VlanMatch(vlan), mac), Output(down)});
  }
  out.push_back({kSharedCookie, kDeliverOutboundTable, 200,
                 fmt::format("{},{}", VlanMatch(vlan), kMulticast),
                 fmt::format("{},{}", Output(up), Output(down))});
  out.push_back({kSharedCookie, kDeliverOutboundTable, 100, VlanMatch(vlan), Output(up)});
}

// A processor as the walk uses it: its NICs' ports.
struct ActiveProcessor {
  ProcessorKind kind;
  uint32_t ingress = 0;  // inline
  uint32_t egress = 0;   // inline
  uint32_t tap = 0;      // tap
};

// From `from` on (outbound, towards the uplink): copies to taps until the
// next inline processor's ingress, or the delivery table.
std::string Outbound(const std::vector<ActiveProcessor>& chain, size_t from) {
  std::vector<std::string> actions;
  for (size_t i = from; i < chain.size(); ++i) {
    if (chain[i].kind == ProcessorKind::kTap) {
      actions.push_back(Output(chain[i].tap));
      continue;
    }
    actions.push_back(Output(chain[i].ingress));
    return Join(actions);
  }
  actions.push_back(fmt::format("resubmit(,{})", kDeliverOutboundTable));
  return Join(actions);
}

// From `before` backwards (inbound, towards the VMs): copies to taps until the
// previous inline processor's egress, or down the patch.
std::string Inbound(const std::vector<ActiveProcessor>& chain, size_t before, uint32_t down) {
  std::vector<std::string> actions;
  for (size_t i = before; i-- > 0;) {
    if (chain[i].kind == ProcessorKind::kTap) {
      actions.push_back(Output(chain[i].tap));
      continue;
    }
    actions.push_back(Output(chain[i].egress));
    return Join(actions);
  }
  actions.push_back(Output(down));
  return Join(actions);
}

ChainStatus AddChainFlows(const ChainSpec& chain, const ChainPorts& ports, std::vector<Flow>& out) {
  ChainStatus status;
  std::vector<ActiveProcessor> active;
  bool inline_down = false;
  const auto port_of = [&](const std::string& mac) -> const ProcessorNicPort* {
    const auto it = ports.processor_nics.find(mac);
    return it == ports.processor_nics.end() || !it->second.up ? nullptr : &it->second;
  };
  for (const ProcessorSpec& p : chain.processors) {
    if (p.kind == ProcessorKind::kTap) {
      if (const ProcessorNicPort* tap = port_of(p.tap_mac)) {
        active.push_back({.kind = p.kind, .tap = tap->ofport});
      } else {
        status.processors_down.push_back(p.name);
      }
      continue;
    }
    const ProcessorNicPort* ingress = port_of(p.ingress_mac);
    const ProcessorNicPort* egress = port_of(p.egress_mac);
    if (ingress == nullptr || egress == nullptr) {
      status.processors_down.push_back(p.name);
      inline_down = true;
      continue;
    }
    active.push_back({.kind = p.kind, .ingress = ingress->ofport, .egress = egress->ofport});
  }
  const bool closed = inline_down && chain.failure_policy == FailurePolicy::kFailClosed;
  if (closed) {
    status.state = ChainState::kFailedClosed;
  } else if (!status.processors_down.empty()) {
    status.state = ChainState::kBypassing;
  }

  const uint64_t cookie = CookieFor(chain.id);
  const uint32_t down = ports.nf_to_microseg;
  const uint32_t up = ports.nf_to_br0;
  const std::string outbound =
      closed ? "drop" : fmt::format("{},{}", kClearInPort, Outbound(active, 0));
  const std::string inbound = closed ? "drop" : Inbound(active, active.size(), down);
  if (chain.vlan_id) {
    out.push_back({cookie, 0, kChainPriority,
                   fmt::format("in_port={},{}", down, VlanMatch(*chain.vlan_id)), outbound});
    out.push_back({cookie, 0, kChainPriority,
                   fmt::format("in_port={},{}", up, VlanMatch(*chain.vlan_id)), inbound});
  }
  for (const std::string& mac : chain.nic_macs) {
    out.push_back(
        {cookie, 0, kNicChainPriority, fmt::format("in_port={},dl_src={}", down, mac), outbound});
    // Another local VM's traffic to a chosen NIC walks the chain too.
    out.push_back(
        {cookie, 0, kChainPriority, fmt::format("in_port={},dl_dst={}", down, mac), outbound});
    out.push_back(
        {cookie, 0, kNicChainPriority, fmt::format("in_port={},dl_dst={}", up, mac), inbound});
  }
  if (closed) return status;
  for (size_t i = 0; i < active.size(); ++i) {
    if (active[i].kind != ProcessorKind::kInline) continue;
    out.push_back({cookie, 0, kReturnPriority, fmt::format("in_port={}", active[i].egress),
                   Outbound(active, i + 1)});
    out.push_back({cookie, 0, kReturnPriority, fmt::format("in_port={}", active[i].ingress),
                   Inbound(active, i, down)});
  }
  return status;
}

void SortUnique(std::vector<Flow>& flows) {
  std::sort(flows.begin(), flows.end());
  flows.erase(std::unique(flows.begin(), flows.end()), flows.end());
}

}  // namespace

std::string_view ChainStateName(ChainState state) {
  switch (state) {
    case ChainState::kActive: return "active";
    case ChainState::kBypassing: return "bypassing";
    case ChainState::kFailedClosed: return "failed-closed";
  }
  return "unknown";
}

ServiceChainFlows BuildServiceChainFlows(const std::vector<ChainSpec>& chains,
                                         const ChainPorts& ports) {
  ServiceChainFlows flows;
  const bool nf_ready = ports.nf_to_microseg != 0 && ports.nf_to_br0 != 0;
  if (nf_ready) {
    // Nothing a processor sends goes anywhere unless its chain says so: a
    // processor VM bridging its NICs never loops br.nf's NORMAL traffic.
    for (const auto& [mac, port] : ports.processor_nics) {
      if (port.ofport != 0) {
        flows.nf.push_back(
            {kSharedCookie, 0, kGuardPriority, fmt::format("in_port={}", port.ofport), "drop"});
      }
    }
  }
  const bool layout_ready = nf_ready && ports.local_to_microseg != 0 &&
                            ports.microseg_to_local != 0 && ports.microseg_to_nf != 0;
  if (!chains.empty() && layout_ready) {
    for (const uint32_t vlan : SteeredVlans(chains, ports)) {
      AddSteeredNfFlows(vlan, ports, flows.nf);
      AddLocalFlows(vlan, ports, flows.local);
      for (const auto& [from, to] : {std::pair{ports.microseg_to_local, ports.microseg_to_nf},
                                     std::pair{ports.microseg_to_nf, ports.microseg_to_local}}) {
        flows.microseg.push_back({kSharedCookie, 0, kSteeredPriority,
                                  fmt::format("in_port={},{}", from, VlanMatch(vlan)), Output(to)});
      }
    }
    flows.nf.push_back({kSharedCookie, kDeliverOutboundTable, 0, "", Output(ports.nf_to_br0)});
  }
  for (const ChainSpec& chain : chains) {
    std::vector<Flow> chain_flows;
    ChainStatus status = AddChainFlows(chain, ports, chain_flows);
    if (layout_ready) {
      flows.nf.insert(flows.nf.end(), chain_flows.begin(), chain_flows.end());
    }
    flows.status[chain.name] = std::move(status);
  }
  SortUnique(flows.nf);
  SortUnique(flows.microseg);
  SortUnique(flows.local);
  return flows;
}

}  // namespace hvagent::openflow
