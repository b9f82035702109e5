// A service chain as the switch needs it: an ordered list of packet
// processors applied to a network's VLAN or to chosen VM NICs, in both
// directions, with a failure policy. Pure data and its checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::openflow {

enum class ProcessorKind { kInline, kTap };
enum class FailurePolicy { kFailClosed, kFailOpen };

// A processor is a VM's network-function NICs on br.nf, named by MAC. An
// inline processor is a bump in the wire: its ingress NIC faces the VMs, its
// egress NIC the uplink; what goes in on one side is expected back on the
// other. A tap processor gets copies on its tap NIC and sends nothing back.
struct ProcessorSpec {
  std::string name;
  ProcessorKind kind = ProcessorKind::kInline;
  std::string vm_name;
  std::string ingress_mac;  // inline
  std::string egress_mac;   // inline
  std::string tap_mac;      // tap

  friend bool operator==(const ProcessorSpec&, const ProcessorSpec&) = default;
};

struct ChainSpec {
  std::string name;
  // The low 48 bits of every flow's cookie (openflow::CookieFor): stable for
  // the chain's life, chosen at create and stored with it; never 0.
  uint64_t id = 0;
  // Either a network (all its VM NICs, by its VLAN: `vlan_id`, 0 = untagged)…
  std::string network;
  std::optional<uint32_t> vlan_id;
  // …or chosen VM NICs, by MAC.
  std::vector<std::string> nic_macs;
  std::vector<ProcessorSpec> processors;
  FailurePolicy failure_policy = FailurePolicy::kFailClosed;

  friend bool operator==(const ChainSpec&, const ChainSpec&) = default;
};

// "52:54:00:ab:cd:ef" in lower case: INVALID_ARGUMENT naming `field` otherwise.
Status ValidateMac(std::string_view field, std::string_view mac);

// The chain's own rules (fields named as in the API's ServiceChain): a
// name, exactly one of network / nic_macs, 1–16 processors with unique names
// and the NICs their kind needs, no NIC twice. Does not look at other chains.
Status ValidateChainSpec(const ChainSpec& chain);

// Across chains: no processor NIC serves two chains, no VM NIC is chosen by
// two chains, no network has two chains. FAILED_PRECONDITION naming the
// other chain.
Status CheckNoOverlap(const ChainSpec& chain, const std::vector<ChainSpec>& others);

// A stable 48-bit id from the chain's uuid (FNV-1a), never 0.
uint64_t ChainIdFromUuid(std::string_view uuid);

}  // namespace hvagent::openflow
