// The bridge chain (br0.local -> br.microseg -> br.nf -> br0): the operations
// that make it from a switch that has only br0 (golden JSON), none when it is
// right, the mends of a wrong one, and where each kind of VM NIC goes; no
// server.
#include <gtest/gtest.h>

#include "hvagent/network/bridge_chain.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent_test/golden.h"

namespace hvagent::network {
namespace {

using hvagent::testing::GoldenJson;
using nlohmann::json;

// A switch with br0 (netdev, its internal port and the br0-up bond) and,
// when `with_chain`, the whole chain as the agent makes it.
SwitchSnapshot Switch(bool with_chain) {
  SwitchSnapshot snap;
  auto add_port = [&](OvsBridgeRow& bridge, const std::string& name, const std::string& type,
                      ExternalIds options, ExternalIds ids) {
    const std::string port_uuid = "p-" + name;
    const std::string iface_uuid = "i-" + name;
    snap.interfaces[iface_uuid] = {.uuid = iface_uuid,
                                   .name = name,
                                   .type = type,
                                   .options = std::move(options),
                                   .external_ids = ids};
    snap.ports[port_uuid] = {
        .uuid = port_uuid, .name = name, .interfaces = {iface_uuid}, .external_ids = ids};
    bridge.ports.push_back(port_uuid);
  };
  OvsBridgeRow br0{.uuid = "b-br0", .name = "br0", .datapath_type = "netdev"};
  add_port(br0, "br0", "internal", {}, OwnedIds(kKindBridgeInternalPort, {{"bridge", "br0"}}));
  add_port(br0, "br0-up", "", {}, OwnedIds(kKindBond));
  std::vector<OvsBridgeRow> bridges;
  if (with_chain) {
    for (const std::string& name : ChainBridgeNames()) {
      OvsBridgeRow bridge{.uuid = "b-" + name, .name = name, .datapath_type = "netdev"};
      add_port(bridge, name, "internal", {}, OwnedIds(kKindBridgeInternalPort, {{"bridge", name}}));
      bridges.push_back(std::move(bridge));
    }
    bridges.push_back(br0);
    for (const ChainPatchPort& patch : ChainPatchPorts()) {
      for (OvsBridgeRow& bridge : bridges) {
        if (bridge.name != patch.bridge) continue;
        add_port(bridge, patch.port, "patch", {{"peer", patch.peer}},
                 OwnedIds(kKindPatchPort, {{"bridge", patch.bridge}, {"peer", patch.peer}}));
      }
    }
  } else {
    bridges.push_back(br0);
  }
  std::sort(bridges.begin(), bridges.end(),
            [](const OvsBridgeRow& a, const OvsBridgeRow& b) { return a.name < b.name; });
  snap.bridges = std::move(bridges);
  return snap;
}

OvsBridgeRow& BridgeNamed(SwitchSnapshot& snap, const std::string& name) {
  for (OvsBridgeRow& bridge : snap.bridges) {
    if (bridge.name == name) return bridge;
  }
  throw std::runtime_error("no bridge " + name);
}

TEST(BridgeChainTest, FromBr0AloneTheWholeChainIsOneTransaction) {
  auto ops = BridgeChainOperations(Switch(/*with_chain=*/false));
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(*ops, GoldenJson("network/bridge-chain-fresh.json")) << ops->dump(2);
}

TEST(BridgeChainTest, ARightChainWritesNothing) {
  auto ops = BridgeChainOperations(Switch(/*with_chain=*/true));
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(*ops, json::array()) << ops->dump(2);
}

TEST(BridgeChainTest, AMissingBridgeComesBackWithItsPatchPorts) {
  SwitchSnapshot snap = Switch(/*with_chain=*/true);
  // br.microseg deleted: OVSDB collected its ports with it.
  for (const std::string& uuid : BridgeNamed(snap, "br.microseg").ports) snap.ports.erase(uuid);
  std::erase_if(snap.bridges, [](const OvsBridgeRow& b) { return b.name == "br.microseg"; });
  auto ops = BridgeChainOperations(snap);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(*ops, GoldenJson("network/bridge-chain-microseg-missing.json")) << ops->dump(2);
}

TEST(BridgeChainTest, AWrongPatchPortAndDatapathAreMendedInPlace) {
  SwitchSnapshot snap = Switch(/*with_chain=*/true);
  // br.nf on the kernel datapath, and nf-to-br0 peered wrong, tagged, and
  // moved to br.microseg.
  BridgeNamed(snap, "br.nf").datapath_type = "system";
  snap.interfaces["i-nf-to-br0"].options = {{"peer", "elsewhere"}};
  snap.ports["p-nf-to-br0"].tag = 10;
  std::erase(BridgeNamed(snap, "br.nf").ports, "p-nf-to-br0");
  BridgeNamed(snap, "br.microseg").ports.push_back("p-nf-to-br0");
  auto ops = BridgeChainOperations(snap);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_EQ(*ops, GoldenJson("network/bridge-chain-mended.json")) << ops->dump(2);
}

TEST(BridgeChainTest, WithoutBr0ThereIsNoChain) {
  auto ops = BridgeChainOperations(SwitchSnapshot{});
  EXPECT_EQ(ops.status().code(), absl::StatusCode::kFailedPrecondition) << ops.status();
  EXPECT_NE(MessageOf(ops.status()).find("'br0'"), std::string::npos) << ops.status();
}

TEST(BridgeChainTest, EachKindOfNicHasItsBridge) {
  EXPECT_EQ(VmPortBridge(NicType::kNormal, "br0"), "br0.local");
  EXPECT_EQ(VmPortBridge(NicType::kDirect, "br0"), "br0");
  EXPECT_EQ(VmPortBridge(NicType::kNetworkFunction, ""), "br.nf");
  // Only br0 has a chain: a network of another bridge keeps its NICs there.
  EXPECT_EQ(VmPortBridge(NicType::kNormal, "br1"), "br1");
  EXPECT_TRUE(IsChainBridge("br.nf"));
  EXPECT_FALSE(IsChainBridge("br0"));
  EXPECT_EQ(NetworkFunctionRoleValue(NetworkFunctionRole::kTap), "tap");
  EXPECT_EQ(NetworkFunctionRoleValue(NetworkFunctionRole::kNone), "");
}

}  // namespace
}  // namespace hvagent::network
