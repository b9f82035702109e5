// Internal ports: validation and the OVSDB transaction.
#include <gtest/gtest.h>

#include "hvagent/network/internal_port.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"

#include "scripted_transactor.h"

namespace hvagent::network {
namespace {

using nlohmann::json;

TEST(InternalPortSpecTest, Validation) {
  InternalPortSpec spec{.name = "vlan10-host",
                        .bridge = "br0",
                        .vlan_id = 10,
                        .network = "vlan.10",
                        .address = "10.0.10.5/24"};
  EXPECT_TRUE(ValidateInternalPortSpec(spec).ok());
  spec.address = "10.0.10.5";  // no prefix
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("address:"), std::string::npos);
  spec.address = "";
  spec.vlan_id = 4095;
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("vlan_id:"), std::string::npos);
  spec.vlan_id = 0;
  spec.name = "sixteen-chars-xx";
  EXPECT_EQ(ValidateInternalPortSpec(spec).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("name:"), std::string::npos);
}

TEST(InternalPortManagerTest, ANameTheHostAlreadyHasIsRefusedBeforeAnythingIsSent) {
  // No such port on the switch; but every network namespace has "lo".
  hvagent::testing::ScriptedTransactor ovsdb(
      {json::parse(R"([{"rows": []}, {"rows": []}, {"rows": []}])")});
  InternalPortManager ports(ovsdb);
  const Status s = ports.Create({.name = "lo", .bridge = "br0", .network = "vlan.0"});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(MessageOf(s),
            "name: the host already has a network interface named 'lo' (outside the switch); "
            "pick another name");
  EXPECT_EQ(ovsdb.sent.size(), 1U);  // the read, no change
}

TEST(InternalPortOperationsTest, OneTransactionTaggedAndOwned) {
  const json ops = CreateInternalPortOperations({.name = "vlan10-host",
                                                 .bridge = "br0",
                                                 .vlan_id = 10,
                                                 .network = "vlan.10",
                                                 .address = "10.0.10.5/24"});
  EXPECT_EQ(ops, json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br0"]],
     "columns": ["name"], "until": "==", "rows": [{"name": "br0"}]},
    {"op": "insert", "table": "Interface", "uuid-name": "iface",
     "row": {"name": "vlan10-host", "type": "internal",
             "external_ids": ["map", [["address", "10.0.10.5/24"], ["kind", "internal-port"],
                                      ["name", "vlan10-host"], ["network", "vlan.10"],
                                      ["owner", "hvagent"]]]}},
    {"op": "insert", "table": "Port", "uuid-name": "port",
     "row": {"name": "vlan10-host", "vlan_mode": "access", "tag": 10,
             "interfaces": ["named-uuid", "iface"],
             "external_ids": ["map", [["address", "10.0.10.5/24"], ["kind", "internal-port"],
                                      ["name", "vlan10-host"], ["network", "vlan.10"],
                                      ["owner", "hvagent"]]]}},
    {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
     "mutations": [["ports", "insert", ["set", [["named-uuid", "port"]]]]]}
  ])"));
}

constexpr const char* kBridgeUuid = "00000000-0000-0000-0000-0000000000b0";
constexpr const char* kPortUuid = "00000000-0000-0000-0000-0000000000a1";

// A monitor cache with br0 holding port `name` (tagged `ids`) and its Interface.
ovsdb::Cache CacheWithPort(const std::string& name, const std::map<std::string, std::string>& ids) {
  ovsdb::Cache cache;
  const json update = {
      {"Bridge",
       {{kBridgeUuid, {{"initial", {{"name", "br0"}, {"ports", ovsdb::UuidSet({kPortUuid})}}}}}}},
      {"Port",
       {{kPortUuid,
         {{"initial", {{"name", name}, {"tag", 10}, {"external_ids", ovsdb::Map(ids)}}}}}}},
      {"Interface",
       {{"00000000-0000-0000-0000-0000000000c1",
         {{"initial", {{"name", name}, {"type", "internal"}, {"options", ovsdb::Map({})}}}}}}}};
  EXPECT_TRUE(cache.ApplyUpdate2(update, ovsdb::DatabaseSchema{}).ok());
  return cache;
}

const std::map<std::string, std::string> kOwnedIds = {
    {"owner", "hvagent"}, {"kind", "internal-port"}, {"name", "hvut0"}, {"network", "vlan.10"}};

TEST(InternalPortManagerTest, ANewNameIsDecidedOnTheCacheAndAddedInOneGuardedTransaction) {
  hvagent::testing::ScriptedTransactor ovsdb({json::array()});
  ovsdb.cache = ovsdb::Cache{};
  InternalPortManager ports(ovsdb);
  const InternalPortSpec spec{
      .name = "hvut0", .bridge = "br0", .vlan_id = 10, .network = "vlan.10"};
  ASSERT_TRUE(ports.Create(spec).ok());
  // No select first: the one transaction is the add, guarded by the name being free.
  ASSERT_EQ(ovsdb.sent.size(), 1U);
  json expected = json::parse(R"([
    {"op": "wait", "table": "Port", "timeout": 0, "where": [["name", "==", "hvut0"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "wait", "table": "Interface", "timeout": 0, "where": [["name", "==", "hvut0"]],
     "columns": ["name"], "until": "==", "rows": []}])");
  for (const json& op : CreateInternalPortOperations(spec)) expected.push_back(op);
  EXPECT_EQ(ovsdb.sent[0], expected);
}

TEST(InternalPortManagerTest, ANameTheCacheHasIsCheckedWithTheServer) {
  // The cache says the port exists (a retry, or a cache behind the server):
  // only the server's rows decide.
  hvagent::testing::ScriptedTransactor ovsdb({json::parse(R"([{"rows": []}, {"rows": []},
                                                             {"rows": []}])"),
                                              json::array()});
  ovsdb.cache = CacheWithPort("hvut0", kOwnedIds);
  InternalPortManager ports(ovsdb);
  ASSERT_TRUE(
      ports.Create({.name = "hvut0", .bridge = "br0", .vlan_id = 10, .network = "vlan.10"}).ok());
  ASSERT_EQ(ovsdb.sent.size(), 2U);
  EXPECT_EQ(ovsdb.sent[0][0]["op"], "select");  // the server: no such port after all
  EXPECT_EQ(ovsdb.sent[1][1]["op"], "insert");  // so it is added
}

TEST(InternalPortManagerTest, TheAgentsPortIsDeletedInOneTransactionGuardedByWhatTheCacheSaid) {
  hvagent::testing::ScriptedTransactor ovsdb({json::array()});
  ovsdb.cache = CacheWithPort("hvut0", kOwnedIds);
  InternalPortManager ports(ovsdb);
  ASSERT_TRUE(ports.Delete("hvut0").ok());
  ASSERT_EQ(ovsdb.sent.size(), 1U);
  const json& ops = ovsdb.sent[0];
  // Still that row, still named so, still the agent's internal port.
  EXPECT_EQ(ops[0], json::parse(R"(
    {"op": "wait", "table": "Port", "timeout": 0,
     "where": [["_uuid", "==", ["uuid", "00000000-0000-0000-0000-0000000000a1"]],
               ["external_ids", "includes",
                ["map", [["kind", "internal-port"], ["owner", "hvagent"]]]]],
     "columns": ["name"], "until": "==", "rows": [{"name": "hvut0"}]})"));
  EXPECT_EQ(ops.back(), json::parse(R"(
    {"op": "mutate", "table": "Bridge",
     "where": [["ports", "includes", ["uuid", "00000000-0000-0000-0000-0000000000a1"]]],
     "mutations": [["ports", "delete", ["set", [["uuid", "00000000-0000-0000-0000-0000000000a1"]]]]]})"));
}

TEST(InternalPortManagerTest, AFailedGuardAsksTheServerAndDecidesAgain) {
  // The port went (or changed) since the cache saw it: the server says so.
  hvagent::testing::ScriptedTransactor ovsdb(
      {ovsdb::TransactionError(ovsdb::error_tag::kTimedOut, "\"wait\" timed out"),
       json::parse(R"([{"rows": []}, {"rows": []}, {"rows": []}])")});
  ovsdb.cache = CacheWithPort("hvut0", kOwnedIds);
  InternalPortManager ports(ovsdb);
  const Status s = ports.Delete("hvut0");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  ASSERT_EQ(ovsdb.sent.size(), 2U);
  EXPECT_EQ(ovsdb.sent[1][0]["op"], "select");
}

TEST(InternalPortManagerTest, APortTheAgentDidNotMakeIsNeverDeletedOnTheCachesWord) {
  auto ids = kOwnedIds;
  ids["kind"] = "tunnel";
  hvagent::testing::ScriptedTransactor ovsdb({json::parse(R"([{"rows": []}, {"rows": []},
                                                             {"rows": []}])")});
  ovsdb.cache = CacheWithPort("hvut0", ids);
  InternalPortManager ports(ovsdb);
  (void)ports.Delete("hvut0");
  ASSERT_EQ(ovsdb.sent.size(), 1U);
  EXPECT_EQ(ovsdb.sent[0][0]["op"], "select");  // asked, not changed
}

}  // namespace
}  // namespace hvagent::network
