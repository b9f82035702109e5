// Bridges: the OVSDB operations of create and delete (golden JSON), how ports
// are described, and how the manager reads the server's answers; no server.
#include <gtest/gtest.h>

#include "hvagent/network/bridge_manager.h"
#include "hvagent/ovsdb/error.h"
#include "scripted_transactor.h"

namespace hvagent::network {
namespace {

using hvagent::testing::ScriptedTransactor;
using nlohmann::json;

TEST(BridgeOperationsTest, CreateMakesTheBridgeWithItsInternalPortInOneTransaction) {
  const json ops = CreateBridgeOperations("br1", "netdev");
  const json golden = json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br1"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "wait", "table": "Port", "timeout": 0, "where": [["name", "==", "br1"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "wait", "table": "Interface", "timeout": 0, "where": [["name", "==", "br1"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "insert", "table": "Interface", "uuid-name": "iface",
     "row": {"name": "br1", "type": "internal", "external_ids": ["map", [["bridge", "br1"],
             ["kind", "bridge-internal-port"], ["owner", "hvagent"]]]}},
    {"op": "insert", "table": "Port", "uuid-name": "port",
     "row": {"name": "br1", "interfaces": ["named-uuid", "iface"],
             "external_ids": ["map", [["bridge", "br1"],
             ["kind", "bridge-internal-port"], ["owner", "hvagent"]]]}},
    {"op": "insert", "table": "Bridge", "uuid-name": "bridge",
     "row": {"name": "br1", "datapath_type": "netdev",
             "ports": ["set", [["named-uuid", "port"]]],
             "external_ids": ["map", [["kind", "bridge"], ["owner", "hvagent"]]]}},
    {"op": "mutate", "table": "Open_vSwitch", "where": [],
     "mutations": [["bridges", "insert", ["set", [["named-uuid", "bridge"]]]]]}
  ])");
  EXPECT_EQ(ops, golden) << ops.dump(2);
}

TEST(BridgeOperationsTest, DeleteIsGuardedByThePortsRead) {
  const json ops = DeleteBridgeOperations({.uuid = "b-1", .name = "br1", .ports = {"p-1", "p-2"}});
  const json golden = json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["_uuid", "==", ["uuid", "b-1"]]],
     "columns": ["ports"], "until": "==",
     "rows": [{"ports": ["set", [["uuid", "p-1"], ["uuid", "p-2"]]]}]},
    {"op": "mutate", "table": "Open_vSwitch", "where": [],
     "mutations": [["bridges", "delete", ["set", [["uuid", "b-1"]]]]]}
  ])");
  EXPECT_EQ(ops, golden) << ops.dump(2);
}

TEST(BridgeOperationsTest, DatapathTypes) {
  EXPECT_TRUE(ValidateDatapathType("datapath_type", "system").ok());
  EXPECT_TRUE(ValidateDatapathType("datapath_type", "netdev").ok());
  const Status s = ValidateDatapathType("ovs.datapath_type", "dpdk");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(MessageOf(s).find("ovs.datapath_type"), std::string::npos) << s;
}

TEST(BridgeDescribeTest, PortKindsOwnershipAndVlans) {
  SwitchSnapshot snap;
  snap.bridges.push_back({.uuid = "b-1",
                          .name = "br0",
                          .datapath_type = "",
                          .ports = {"p-int", "p-tap", "p-bond", "p-vx", "p-other"},
                          .external_ids = OwnedIds(kKindBridge)});
  snap.ports["p-int"] = {.uuid = "p-int",
                         .name = "br0",
                         .interfaces = {"i-int"},
                         .external_ids = OwnedIds(kKindBridgeInternalPort)};
  snap.ports["p-tap"] = {.uuid = "p-tap",
                         .name = "hvt1",
                         .interfaces = {"i-tap"},
                         .tag = 10,
                         .trunks = {20, 30},
                         .external_ids = {{"owner", "hvagent"}, {"vm-uuid", "u-1"}}};
  snap.ports["p-bond"] = {.uuid = "p-bond", .name = "br0-up", .interfaces = {"i-a", "i-b"}};
  snap.ports["p-vx"] = {.uuid = "p-vx", .name = "vx1", .interfaces = {"i-vx"}};
  snap.ports["p-other"] = {.uuid = "p-other", .name = "eth9", .interfaces = {"i-other"}};
  snap.interfaces["i-int"] = {.uuid = "i-int", .name = "br0", .type = "internal"};
  snap.interfaces["i-tap"] = {.uuid = "i-tap", .name = "hvt1", .type = ""};
  snap.interfaces["i-vx"] = {.uuid = "i-vx", .name = "vx1", .type = "vxlan"};
  snap.interfaces["i-other"] = {.uuid = "i-other", .name = "eth9", .type = ""};

  const BridgeInfo info = DescribeBridge(snap, snap.bridges[0]);
  EXPECT_EQ(info.datapath_type, "system");  // "" in OVSDB is the kernel datapath
  EXPECT_TRUE(info.agent_owned);
  ASSERT_EQ(info.ports.size(), 5u);
  // Sorted by name: br0, br0-up, eth9, hvt1, vx1.
  EXPECT_EQ(info.ports[0].kind, PortKind::kInternal);
  EXPECT_TRUE(info.ports[0].agent_owned);
  EXPECT_EQ(info.ports[1].kind, PortKind::kBond);
  EXPECT_FALSE(info.ports[1].agent_owned);
  EXPECT_EQ(info.ports[2].kind, PortKind::kOther);
  EXPECT_EQ(info.ports[3].kind, PortKind::kTap);
  EXPECT_EQ(info.ports[3].tag, 10u);
  EXPECT_EQ(info.ports[3].trunks, (std::vector<uint32_t>{20, 30}));
  EXPECT_EQ(info.ports[4].kind, PortKind::kVxlan);
}

// The snapshot's three selects with one bridge br1 (the agent's, no ports).
json SnapshotWithOwnedBridge() {
  return json::parse(R"([
    {"rows": [{"_uuid": ["uuid", "b-1"], "name": "br1", "datapath_type": "netdev",
               "ports": ["set", []],
               "external_ids": ["map", [["kind", "bridge"], ["owner", "hvagent"]]]}]},
    {"rows": []}, {"rows": []}])");
}

TEST(BridgeManagerTest, DeleteWhoseGuardWaitTimedOutIsAborted) {
  ScriptedTransactor ovsdb(
      {SnapshotWithOwnedBridge(), ovsdb::TransactionError(ovsdb::error_tag::kTimedOut, "")});
  BridgeManager bridges(ovsdb, "netdev");
  const Status s = bridges.Delete("br1");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_NE(MessageOf(s).find("bridge 'br1' changed while it was being deleted"), std::string::npos)
      << s;
  ASSERT_EQ(ovsdb.sent.size(), 2U);
  EXPECT_EQ(ovsdb.sent[1], DeleteBridgeOperations({.uuid = "b-1", .name = "br1"}));
}

TEST(BridgeManagerTest, DeleteFailingOtherwiseKeepsTheServersError) {
  // "timed out" in the text of another error is not a failed wait.
  const Status refused =
      ovsdb::TransactionError(ovsdb::error_tag::kConstraintViolation, "timed out elsewhere");
  ScriptedTransactor ovsdb({SnapshotWithOwnedBridge(), refused});
  BridgeManager bridges(ovsdb, "netdev");
  const Status s = bridges.Delete("br1");
  EXPECT_EQ(s, refused);
  EXPECT_TRUE(ovsdb::HasErrorTag(s, ovsdb::error_tag::kConstraintViolation));
}

TEST(BridgeManagerTest, ANameTheHostAlreadyHasIsRefusedBeforeAnythingIsSent) {
  // Nothing of that name on the switch; but every network namespace has "lo".
  ScriptedTransactor ovsdb({json::parse(R"([{"rows": []}, {"rows": []}, {"rows": []}])")});
  BridgeManager bridges(ovsdb, "netdev");
  const auto created = bridges.Create("lo", "");
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition) << created.status();
  EXPECT_NE(
      MessageOf(created.status()).find("name: the host already has a network interface named 'lo'"),
      std::string::npos)
      << created.status();
  EXPECT_EQ(ovsdb.sent.size(), 1U);  // the snapshot, no change
}

TEST(BridgeManagerTest, ExistsAsksTheServerForTheBridgeByName) {
  ScriptedTransactor ovsdb(
      {json::parse(R"([{"rows": [{"name": "br1"}]}])"), json::parse(R"([{"rows": []}])")});
  BridgeManager bridges(ovsdb, "netdev");
  auto exists = bridges.Exists("br1");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_TRUE(*exists);
  EXPECT_EQ(ovsdb.sent[0], json::parse(R"([{"op": "select", "table": "Bridge",
                                            "where": [["name", "==", "br1"]],
                                            "columns": ["name"]}])"));
  exists = bridges.Exists("br9");
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_FALSE(*exists);
}

}  // namespace
}  // namespace hvagent::network
