// The OVSDB operations of a plug, checked without a server: the translation
// spec → operations is pure.
#include <gtest/gtest.h>

#include "hvagent/network/port_plugger.h"

namespace hvagent::network {
namespace {

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

}  // namespace
}  // namespace hvagent::network
