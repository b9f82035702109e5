// ServiceChainManager::Reconcile reads the switch's flows only when it may
// have something to do: every domain lifecycle event and every Interface
// change asks for a pass, and each full pass runs ovs-ofctl three times.
#include "hvagent/network/service_chain_manager.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "hvagent_test/empty_switch.h"

namespace hvagent::network {
namespace {

// Holds the agent's flows per bridge and counts how often they are read.
class CountingFlows final : public openflow::FlowSwitch {
 public:
  StatusOr<std::vector<openflow::Flow>> DumpAgentFlows(const std::string& bridge) override {
    ++dumps;
    return held[bridge];
  }
  Status Apply(const std::string& bridge, const openflow::FlowChanges& changes) override {
    std::vector<openflow::Flow>& flows = held[bridge];
    for (const openflow::Flow& gone : changes.remove) std::erase(flows, gone);
    flows.insert(flows.end(), changes.add.begin(), changes.add.end());
    return absl::OkStatus();
  }

  std::map<std::string, std::vector<openflow::Flow>> held;
  int dumps = 0;
};

class ServiceChainManagerTest : public ::testing::Test {
 protected:
  hvagent::testing::EmptySwitch ovsdb_;
  CountingFlows flows_;
  std::vector<openflow::ChainSpec> chains_;
  ServiceChainManager manager_{
      ovsdb_, flows_, [this] { return StatusOr<std::vector<openflow::ChainSpec>>(chains_); },
      [](const std::string&, const openflow::ChainStatus&) {}};
};

TEST_F(ServiceChainManagerTest, WithNoChainAndNoFlowLeftAPassReadsNothing) {
  // A flow of the agent's left on br.nf (a chain deleted while the agent was
  // down): the first pass finds and removes it.
  const openflow::Flow stray{.cookie = openflow::CookieFor(7), .priority = 100, .actions = "drop"};
  flows_.held[kNetworkFunctionBridgeName] = {stray};
  auto pass = manager_.Reconcile();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->flows_removed, 1U);
  EXPECT_EQ(flows_.dumps, 3) << "the three bridges read once";
  EXPECT_TRUE(flows_.held[kNetworkFunctionBridgeName].empty());

  // Then, with still no chain, passes read nothing.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(manager_.Reconcile().ok());
  EXPECT_EQ(flows_.dumps, 3);

  // A chain makes every pass a full one again, and so does the pass after
  // its deletion (its flows must go); the one after that reads nothing.
  chains_.push_back({.name = "web", .id = 7, .network = "vlan.10", .vlan_id = 10});
  ASSERT_TRUE(manager_.Reconcile().ok());
  ASSERT_TRUE(manager_.Reconcile().ok());
  EXPECT_EQ(flows_.dumps, 9);
  chains_.clear();
  ASSERT_TRUE(manager_.Reconcile().ok());
  EXPECT_EQ(flows_.dumps, 12);
  for (const auto& [bridge, flows] : flows_.held) EXPECT_TRUE(flows.empty()) << bridge;
  ASSERT_TRUE(manager_.Reconcile().ok());
  EXPECT_EQ(flows_.dumps, 12);
}

}  // namespace
}  // namespace hvagent::network
