// The pure service-chain flow builder against golden files: each golden is
// the flows of br.nf and br0.local as `ovs-ofctl dump-flows` prints them,
// then each chain's status. HVAGENT_UPDATE_GOLDENS=1 rewrites them.
#include "hvagent/openflow/service_chain_flows.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "hvagent_test/golden.h"

namespace hvagent::openflow {
namespace {

constexpr uint32_t kNfToMicroseg = 1, kNfToBr0 = 2, kLocalToMicroseg = 1;

ProcessorSpec Inline(const std::string& name, const std::string& in, const std::string& out) {
  return {.name = name, .kind = ProcessorKind::kInline, .ingress_mac = in, .egress_mac = out};
}
ProcessorSpec Tap(const std::string& name, const std::string& mac) {
  return {.name = name, .kind = ProcessorKind::kTap, .tap_mac = mac};
}

// br.nf: fw (ports 10/11), ids tap (12), nat (13/14); br0.local: two access
// VMs on VLAN 10, a trunk with native 20 and 10 tagged, one VM on VLAN 30.
ChainPorts Ports() {
  ChainPorts ports{.nf_to_microseg = kNfToMicroseg,
                   .nf_to_br0 = kNfToBr0,
                   .processor_nics = {{"52:54:00:f0:00:01", {10, true}},
                                      {"52:54:00:f0:00:02", {11, true}},
                                      {"52:54:00:f0:00:03", {12, true}},
                                      {"52:54:00:f0:00:04", {13, true}},
                                      {"52:54:00:f0:00:05", {14, true}}},
                   .microseg_to_local = 1,
                   .microseg_to_nf = 2,
                   .local_to_microseg = kLocalToMicroseg,
                   .vm_nics = {}};
  ports.vm_nics = {
      {.ofport = 5, .mac = "52:54:00:00:00:0a", .vlan_id = 10},
      {.ofport = 6, .mac = "52:54:00:00:00:0b", .vlan_id = 10},
      {.ofport = 7, .mac = "52:54:00:00:00:0c", .vlan_id = 20, .trunked = true, .trunks = {10, 30}},
      {.ofport = 8, .mac = "52:54:00:00:00:0d", .vlan_id = 30}};
  return ports;
}

ChainSpec NetworkChain() {
  return {.name = "web",
          .id = 0x1234,
          .network = "vlan.10",
          .vlan_id = 10,
          .nic_macs = {},
          .processors = {Inline("fw", "52:54:00:f0:00:01", "52:54:00:f0:00:02"),
                         Tap("ids", "52:54:00:f0:00:03"),
                         Inline("nat", "52:54:00:f0:00:04", "52:54:00:f0:00:05")},
          .failure_policy = FailurePolicy::kFailClosed};
}

std::string Render(const ServiceChainFlows& flows) {
  std::string out = "# br.nf\n";
  for (const Flow& flow : flows.nf) out += DumpLine(flow) + "\n";
  out += "# br.microseg\n";
  for (const Flow& flow : flows.microseg) out += DumpLine(flow) + "\n";
  out += "# br0.local\n";
  for (const Flow& flow : flows.local) out += DumpLine(flow) + "\n";
  for (const auto& [name, status] : flows.status) {
    out += fmt::format("# chain {}: {}", name, ChainStateName(status.state));
    for (const std::string& down : status.processors_down) out += " " + down + "-down";
    out += "\n";
  }
  return out;
}

void ExpectGolden(const ServiceChainFlows& flows, const std::string& name) {
  const std::string relative = "openflow/" + name + ".flows";
  const std::string rendered = Render(flows);
  if (std::getenv("HVAGENT_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(testing::TestDataPath(relative)) << rendered;
  }
  EXPECT_EQ(rendered, testing::ReadTestData(relative)) << relative;
}

TEST(ServiceChainFlowsTest, NoChainOnlyGuardsTheProcessorNics) {
  ExpectGolden(BuildServiceChainFlows({}, Ports()), "no-chain");
}

TEST(ServiceChainFlowsTest, NetworkChainInlineTapInline) {
  ExpectGolden(BuildServiceChainFlows({NetworkChain()}, Ports()), "network-inline-tap-inline");
}

TEST(ServiceChainFlowsTest, NicChainOnATrunk) {
  ChainSpec chain{.name = "one-nic",
                  .id = 0x99,
                  .network = "",
                  .vlan_id = std::nullopt,
                  .nic_macs = {"52:54:00:00:00:0c"},
                  .processors = {Tap("ids", "52:54:00:f0:00:03")},
                  .failure_policy = FailurePolicy::kFailClosed};
  ExpectGolden(BuildServiceChainFlows({chain}, Ports()), "nic-chain-trunk");
}

TEST(ServiceChainFlowsTest, InlineDownFailsClosedByDefault) {
  ChainPorts ports = Ports();
  ports.processor_nics["52:54:00:f0:00:04"].up = false;
  ExpectGolden(BuildServiceChainFlows({NetworkChain()}, ports), "fail-closed");
}

TEST(ServiceChainFlowsTest, InlineDownFailOpenBypassesIt) {
  ChainPorts ports = Ports();
  ports.processor_nics.erase("52:54:00:f0:00:01");  // fw's VM is not even here
  ChainSpec chain = NetworkChain();
  chain.failure_policy = FailurePolicy::kFailOpen;
  ExpectGolden(BuildServiceChainFlows({chain}, ports), "fail-open");
}

TEST(ServiceChainFlowsTest, UntaggedNetworkWithoutInlineProcessor) {
  ChainPorts ports = Ports();
  ports.vm_nics = {{.ofport = 5, .mac = "52:54:00:00:00:0a", .vlan_id = 0},
                   {.ofport = 6, .mac = "52:54:00:00:00:0b", .vlan_id = 0}};
  ChainSpec chain = NetworkChain();
  chain.vlan_id = 0;
  chain.processors = {Tap("ids", "52:54:00:f0:00:03")};
  ExpectGolden(BuildServiceChainFlows({chain}, ports), "untagged-tap-only");
}

TEST(ServiceChainFlowsTest, NoFlowsWithoutTheLayout) {
  ChainPorts ports = Ports();
  ports.nf_to_br0 = 0;
  const ServiceChainFlows flows = BuildServiceChainFlows({NetworkChain()}, ports);
  EXPECT_TRUE(flows.nf.empty());
  EXPECT_TRUE(flows.microseg.empty());
  EXPECT_TRUE(flows.local.empty());
}

TEST(ServiceChainFlowsTest, EveryFlowCarriesTheAgentsCookie) {
  const ServiceChainFlows flows = BuildServiceChainFlows({NetworkChain()}, Ports());
  ASSERT_FALSE(flows.nf.empty());
  for (const auto* set : {&flows.nf, &flows.microseg, &flows.local}) {
    for (const Flow& flow : *set) {
      EXPECT_TRUE(IsAgentCookie(flow.cookie)) << DumpLine(flow);
      EXPECT_TRUE(flow.cookie == kSharedCookie || flow.cookie == CookieFor(0x1234))
          << DumpLine(flow);
    }
  }
}

}  // namespace
}  // namespace hvagent::openflow
