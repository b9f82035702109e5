// The OVSDB operations of a plug, checked without a server: the translation
// spec → operations is pure.
#include <gtest/gtest.h>

#include "hvagent/network/port_plugger.h"
#include "hvagent/ovsdb/error.h"
#include "scripted_transactor.h"

namespace hvagent::network {
namespace {

using hvagent::testing::ScriptedTransactor;
using nlohmann::json;

TEST(PlugOperationsTest, AccessPortIsOneTransactionGuardedByTheBridge) {
  const json ops = PlugOperations({.bridge = "br0",
                                   .name = "hvt0123456789ab",
                                   .vlan_id = 10,
                                   .external_ids = {{"owner", "hvagent"}, {"vm-uuid", "u-1"}}});
  ASSERT_EQ(ops.size(), 4u);
  // A missing bridge fails the whole transaction before anything is inserted.
  EXPECT_EQ(ops[0]["op"], "wait");
  EXPECT_EQ(ops[0]["table"], "Bridge");
  EXPECT_EQ(ops[0]["timeout"], 0);
  EXPECT_EQ(ops[1]["op"], "insert");
  EXPECT_EQ(ops[1]["table"], "Interface");
  EXPECT_EQ(ops[2]["table"], "Port");
  const json& port = ops[2]["row"];
  EXPECT_EQ(port["name"], "hvt0123456789ab");
  EXPECT_EQ(port["vlan_mode"], "access");
  EXPECT_EQ(port["tag"], 10);
  EXPECT_EQ(port["trunks"], json::parse(R"(["set", []])"));
  EXPECT_EQ(port["external_ids"],
            json::parse(R"(["map", [["owner", "hvagent"], ["vm-uuid", "u-1"]]])"));
  EXPECT_EQ(port["interfaces"], json::parse(R"(["named-uuid", "iface"])"));
  EXPECT_EQ(ops[3]["op"], "mutate");
  EXPECT_EQ(ops[3]["mutations"][0][2], json::parse(R"(["set", [["named-uuid", "port"]]])"));
}

TEST(PlugOperationsTest, TrunkedPortCarriesTheNativeVlanUntaggedAndTheTrunksTagged) {
  // acli: vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30 network=vlan.10
  const json ops = PlugOperations(
      {.bridge = "br0", .name = "hvt1", .vlan_id = 10, .trunked = true, .trunks = {10, 20, 30}});
  const json& port = ops[2]["row"];
  EXPECT_EQ(port["vlan_mode"], "native-untagged");
  EXPECT_EQ(port["tag"], 10);
  EXPECT_EQ(port["trunks"], json::parse(R"(["set", [10, 20, 30]])"));
}

TEST(PlugOperationsTest, TrunkedPortOnAnUntaggedNativeNetworkHasNoTag) {
  const json ops = PlugOperations(
      {.bridge = "br0", .name = "hvt2", .vlan_id = 0, .trunked = true, .trunks = {20}});
  EXPECT_EQ(ops[2]["row"]["tag"], json::parse(R"(["set", []])"));
}

TEST(PortMatchesTest, ReadsOvsdbsOwnFormsOfTheSameValues) {
  const PortSpec trunked{.bridge = "br0",
                         .name = "hvt0123456789ab",
                         .vlan_id = 10,
                         .trunked = true,
                         .trunks = {20, 30},
                         .external_ids = {{"owner", "hvagent"}, {"vm-uuid", "u-1"}}};
  // As ovsdb-server returns the row: sets and maps in its own order.
  const json row = json::parse(R"({"tag": 10, "trunks": ["set", [30, 20]],
      "vlan_mode": "native-untagged", "protected": false,
      "external_ids": ["map", [["vm-uuid", "u-1"], ["owner", "hvagent"]]]})");
  EXPECT_TRUE(PortMatches(row, trunked));
  PortSpec one_trunk = trunked;
  one_trunk.trunks = {20};
  // A one-element set comes back as the bare atom.
  json single = row;
  single["trunks"] = 20;
  EXPECT_TRUE(PortMatches(single, one_trunk));
  EXPECT_FALSE(PortMatches(row, one_trunk));

  PortSpec access = trunked;
  access.trunked = false;
  access.trunks.clear();
  EXPECT_FALSE(PortMatches(row, access));
  json access_row = row;
  access_row["vlan_mode"] = "access";
  access_row["trunks"] = json::parse(R"(["set", []])");
  EXPECT_TRUE(PortMatches(access_row, access));
  access.vlan_id = 11;
  EXPECT_FALSE(PortMatches(access_row, access));
  json other_owner = access_row;
  other_owner["external_ids"] = json::parse(R"(["map", [["owner", "someone"]]])");
  access.vlan_id = 10;
  EXPECT_FALSE(PortMatches(other_owner, access));
}

TEST(PlugOperationsTest, IsolatedPortIsOnTheDeadVlanAndProtected) {
  // A packet processor's NIC on br.nf: outside NORMAL switching.
  const json ops = PlugOperations({.bridge = "br.nf",
                                   .name = "hvt3",
                                   .vlan_id = 10,
                                   .isolated = true,
                                   .external_ids = {{"hvagent-nf-role", "ingress"}}});
  const json& port = ops[2]["row"];
  EXPECT_EQ(port["vlan_mode"], "access");
  EXPECT_EQ(port["tag"], 4095);
  EXPECT_EQ(port["protected"], true);
  EXPECT_EQ(port["trunks"], json::parse(R"(["set", []])"));
  // The role is on the Interface too, where service chains look for it.
  EXPECT_EQ(ops[1]["row"]["external_ids"],
            json::parse(R"(["map", [["hvagent-nf-role", "ingress"]]])"));
  const json normal = PlugOperations({.bridge = "br0.local", .name = "hvt4", .vlan_id = 10});
  EXPECT_EQ(normal[2]["row"]["protected"], false);
}

TEST(PlugOperationsTest, RePlugMovesAPortOfTheOldLayoutInOneTransaction) {
  const json ops = RePlugOperations({.bridge = "br0.local",
                                     .name = "hvt5",
                                     .vlan_id = 10,
                                     .external_ids = {{"owner", "hvagent"}, {"vm-uuid", "u-1"}}},
                                    "p-1", "br0");
  const json golden = json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br0.local"]],
     "columns": ["name"], "until": "==", "rows": [{"name": "br0.local"}]},
    {"op": "update", "table": "Port", "where": [["_uuid", "==", ["uuid", "p-1"]]],
     "row": {"protected": false, "vlan_mode": "access", "tag": 10, "trunks": ["set", []],
             "external_ids": ["map", [["owner", "hvagent"], ["vm-uuid", "u-1"]]]}},
    {"op": "update", "table": "Interface", "where": [["name", "==", "hvt5"]],
     "row": {"external_ids": ["map", [["owner", "hvagent"], ["vm-uuid", "u-1"]]]}},
    {"op": "mutate", "table": "Bridge", "where": [["ports", "includes", ["uuid", "p-1"]]],
     "mutations": [["ports", "delete", ["set", [["uuid", "p-1"]]]]]},
    {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0.local"]],
     "mutations": [["ports", "insert", ["set", [["uuid", "p-1"]]]]]}
  ])");
  EXPECT_EQ(ops, golden) << ops.dump(2);
  // Already on its bridge: no move.
  EXPECT_EQ(RePlugOperations({.bridge = "br0.local", .name = "hvt5"}, "p-1", "br0.local").size(),
            3u);
}

TEST(PortPluggerTest, PlugOnAMissingBridgeSaysSoAndOtherErrorsPassThrough) {
  const PortSpec spec{.bridge = "br9", .name = "tap0", .vlan_id = 5};
  const json no_port = json::parse(R"([{"rows": []}])");
  // The plug's one wait, "bridge br9 exists", did not hold.
  ScriptedTransactor missing({no_port, ovsdb::TransactionError(ovsdb::error_tag::kTimedOut, "")});
  const Status s = OvsdbPortPlugger(missing).Plug(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(MessageOf(s), "bridge 'br9' does not exist on this host");
  ASSERT_EQ(missing.sent.size(), 2U);
  EXPECT_EQ(missing.sent[1], PlugOperations(spec));

  const Status refused = ovsdb::TransactionError(ovsdb::error_tag::kResourcesExhausted, "");
  ScriptedTransactor full({no_port, refused});
  EXPECT_EQ(OvsdbPortPlugger(full).Plug(spec), refused);
}

}  // namespace
}  // namespace hvagent::network
