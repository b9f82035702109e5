// Pure: service chains + the ports of br.nf and br0.local -> the flows the
// agent owns on those two bridges. Golden-tested; docs/service-chains.md
// draws the pipeline.
//
// br0.local: every VLAN a chain covers ("steered") is switched by these
// flows, not by NORMAL: what a member port sends goes up the patch only
// (tagged), and what comes down is delivered by MAC, or flooded to the
// members but the sender. So covered VMs on one host reach each other only
// through br.nf: the hairpin.
// br.nf: a steered VLAN's traffic from the VMs (in_port = nf-to-microseg)
// walks its chain outbound (processor 1..n, into ingress, back on egress),
// from the uplink it walks it inbound (n..1, into egress, back on ingress);
// a tap gets a copy of what the inline processor before it let through.
// Outbound traffic then goes up, or back down for a local destination, or
// both for broadcast and multicast (table 50).
// br.microseg: a steered VLAN crosses it as a wire (its NORMAL would learn a
// hairpinned VM's MAC on the wrong side and drop the reply).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hvagent/openflow/flow.h"
#include "hvagent/openflow/service_chain.h"

namespace hvagent::openflow {

// The agent's flows live in table 0 at priorities 1000–1499 and in table 50.
inline constexpr uint8_t kDeliverOutboundTable = 50;
// The plumbing the chains share (steering, delivery, processor-NIC guard).
inline constexpr uint64_t kSharedCookie = CookieFor(0);

struct ProcessorNicPort {
  uint32_t ofport = 0;
  bool up = false;  // Interface.link_state "up": the processor VM has it open
};

// A VM NIC's port on br0.local, as OVSDB has it.
struct VmNicPort {
  uint32_t ofport = 0;
  std::string mac;
  // Access: its VLAN (0 = untagged). Trunked: the native VLAN, untagged.
  uint32_t vlan_id = 0;
  bool trunked = false;
  std::vector<uint32_t> trunks;  // tagged
};

struct ChainPorts {
  // br.nf's patch ports; 0 while the layout is not there (then no flows).
  uint32_t nf_to_microseg = 0;
  uint32_t nf_to_br0 = 0;
  // Every network-function NIC on br.nf, by MAC.
  std::map<std::string, ProcessorNicPort> processor_nics;
  // br.microseg's patch ports.
  uint32_t microseg_to_local = 0;
  uint32_t microseg_to_nf = 0;
  // br0.local's patch port and VM NIC ports.
  uint32_t local_to_microseg = 0;
  std::vector<VmNicPort> vm_nics;
};

enum class ChainState {
  kActive,        // every processor up
  kBypassing,     // fail-open: the processors down are skipped
  kFailedClosed,  // an inline processor is down: the chain's traffic is dropped
};
std::string_view ChainStateName(ChainState state);

struct ChainStatus {
  ChainState state = ChainState::kActive;
  std::vector<std::string> processors_down;  // by name, in chain order
  friend bool operator==(const ChainStatus&, const ChainStatus&) = default;
};

struct ServiceChainFlows {
  std::vector<Flow> nf;                       // br.nf, sorted
  std::vector<Flow> microseg;                 // br.microseg, sorted
  std::vector<Flow> local;                    // br0.local, sorted
  std::map<std::string, ChainStatus> status;  // by chain name
};

ServiceChainFlows BuildServiceChainFlows(const std::vector<ChainSpec>& chains,
                                         const ChainPorts& ports);

}  // namespace hvagent::openflow
