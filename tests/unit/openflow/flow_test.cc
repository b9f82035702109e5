// Flow text (what ovs-ofctl reads and dump-flows prints), the diff, and the
// chain checks.
#include <gtest/gtest.h>

#include "hvagent/openflow/flow.h"
#include "hvagent/openflow/flow_switch.h"
#include "hvagent/openflow/service_chain.h"

namespace hvagent::openflow {
namespace {

TEST(FlowTest, DumpLinesAsOvsPrintsThem) {
  // Copied from `ovs-ofctl --no-names --no-stats dump-flows` of OVS 3.1.
  for (const char* line :
       {" cookie=0xabc, priority=1101,in_port=2,dl_vlan=10,dl_dst=52:54:00:00:00:02 "
        "actions=resubmit(,41)",
        " cookie=0xabd, table=41, priority=1000,dl_vlan=10 actions=drop",
        " cookie=0x4856000000000000, table=50, priority=0 actions=output:2"}) {
    auto flow = ParseDumpLine(line);
    ASSERT_TRUE(flow.ok()) << flow.status();
    EXPECT_EQ(" " + DumpLine(*flow), line);
  }
  auto flow = ParseDumpLine(" cookie=0xabd, table=41, priority=1000,dl_vlan=10 actions=drop");
  ASSERT_TRUE(flow.ok());
  EXPECT_EQ(flow->table, 41);
  EXPECT_EQ(flow->priority, 1000);
  EXPECT_EQ(flow->match, "dl_vlan=10");
  EXPECT_EQ(flow->actions, "drop");
  EXPECT_EQ(ParseDumpLine("NXST_FLOW reply (xid=0x4):").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseDumpLine(" cookie=0x1, priority=x actions=drop").ok());
}

TEST(FlowTest, FlowModLinesAreScopedToTheCookie) {
  const Flow flow{CookieFor(7), 50, 200, "dl_vlan=10", "output:1"};
  EXPECT_EQ(AddFlowLine(flow),
            "add cookie=0x4856000000000007,table=50,priority=200,dl_vlan=10 actions=output:1");
  EXPECT_EQ(DeleteStrictLine(flow),
            "delete_strict cookie=0x4856000000000007/-1,table=50,priority=200,dl_vlan=10");
  EXPECT_TRUE(IsAgentCookie(flow.cookie));
  EXPECT_FALSE(IsAgentCookie(0));
}

TEST(FlowTest, DiffChangesOnlyWhatDiffers) {
  const Flow a{CookieFor(1), 0, 1200, "in_port=1", "drop"};
  const Flow b{CookieFor(1), 0, 1200, "in_port=2", "output:1"};
  const Flow b2{CookieFor(1), 0, 1200, "in_port=2", "output:3"};
  EXPECT_TRUE(DiffFlows({a, b}, {b, a}).empty());
  const FlowChanges changes = DiffFlows({a, b2}, {a, b, b});
  EXPECT_EQ(changes.remove, std::vector<Flow>{b});
  EXPECT_EQ(changes.add, std::vector<Flow>{b2});
}

ChainSpec ValidChain() {
  return {.name = "web",
          .id = 1,
          .network = "vlan.10",
          .vlan_id = 10,
          .nic_macs = {},
          .processors = {{.name = "fw",
                          .kind = ProcessorKind::kInline,
                          .vm_name = "fw-vm",
                          .ingress_mac = "52:54:00:00:00:01",
                          .egress_mac = "52:54:00:00:00:02",
                          .tap_mac = ""}},
          .failure_policy = FailurePolicy::kFailClosed};
}

std::string Message(const Status& status) { return MessageOf(status); }

TEST(ServiceChainTest, ChecksNameTheField) {
  EXPECT_TRUE(ValidateChainSpec(ValidChain()).ok());
  ChainSpec both = ValidChain();
  both.nic_macs = {"52:54:00:00:00:09"};
  EXPECT_EQ(Message(ValidateChainSpec(both)).rfind("network, nic_macs:", 0), 0u);
  ChainSpec no_processors = ValidChain();
  no_processors.processors.clear();
  EXPECT_EQ(Message(ValidateChainSpec(no_processors)).rfind("processors:", 0), 0u);
  ChainSpec bad_mac = ValidChain();
  bad_mac.processors[0].egress_mac = "52:54:00:00:00:0G";
  EXPECT_EQ(Message(ValidateChainSpec(bad_mac)).rfind("processors[0].egress_nic_mac:", 0), 0u);
  ChainSpec missing = ValidChain();
  missing.processors[0].ingress_mac.clear();
  EXPECT_EQ(Message(ValidateChainSpec(missing)), "processors[0].ingress_nic_mac: is required");
  ChainSpec tap_with_ingress = ValidChain();
  tap_with_ingress.processors[0].kind = ProcessorKind::kTap;
  EXPECT_EQ(ValidateChainSpec(tap_with_ingress).code(), absl::StatusCode::kInvalidArgument);
  ChainSpec same_nic = ValidChain();
  same_nic.processors[0].egress_mac = same_nic.processors[0].ingress_mac;
  EXPECT_EQ(Message(ValidateChainSpec(same_nic)).rfind("processors[0].egress_nic_mac:", 0), 0u);
}

TEST(ServiceChainTest, NoNicServesTwoChains) {
  ChainSpec other = ValidChain();
  other.name = "other";
  other.network = "vlan.20";
  const Status overlap = CheckNoOverlap(ValidChain(), {other});
  EXPECT_EQ(overlap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(overlap).find("chain 'other'"), std::string::npos);
  EXPECT_TRUE(CheckNoOverlap(ValidChain(), {ValidChain()}).ok());  // itself (an update)
}

TEST(ServiceChainTest, IdsAreStableAndNonZero) {
  EXPECT_EQ(ChainIdFromUuid("1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
            ChainIdFromUuid("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
  EXPECT_NE(ChainIdFromUuid("a"), ChainIdFromUuid("b"));
  EXPECT_NE(ChainIdFromUuid(""), 0u);
  EXPECT_EQ(ChainIdFromUuid("x") & ~kCookieIdMask, 0u);
}

}  // namespace
}  // namespace hvagent::openflow
