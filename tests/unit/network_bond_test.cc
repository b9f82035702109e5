// Bond specs: the rules, the OVSDB operations they become (golden JSON), and
// the status read back from OVSDB rows; all pure, no server.
#include <gtest/gtest.h>

#include <tuple>

#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bond_spec.h"
#include "hvagent/ovsdb/error.h"
#include "scripted_transactor.h"

namespace hvagent::network {
namespace {

using hvagent::testing::ScriptedTransactor;
using nlohmann::json;

BondSpec TwoMembers() { return {.members = {"eth0", "eth1"}}; }

void ExpectInvalid(const BondSpec& spec, const std::string& field, const std::string& rule) {
  const Status s = ValidateBondSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(MessageOf(s).find(field), std::string::npos) << s;
  EXPECT_NE(MessageOf(s).find(rule), std::string::npos) << s;
}

TEST(BondSpecTest, RulesNameTheFieldAndTheRule) {
  EXPECT_TRUE(ValidateBondSpec(TwoMembers()).ok());
  ExpectInvalid({.members = {"eth0"}}, "spec.members", "2 to 8");
  ExpectInvalid({.members = {"a", "b", "c", "d", "e", "f", "g", "h", "i"}}, "spec.members",
                "2 to 8");
  ExpectInvalid({.members = {"eth0", "eth0"}}, "spec.members", "listed twice");
  ExpectInvalid({.members = {"eth0", "bad name"}}, "spec.members", "not an interface name");
  ExpectInvalid({.members = {"eth0", "a-very-long-nic-name"}}, "spec.members",
                "not an interface name");
  ExpectInvalid({.members = {"eth0", "eth1"}, .mode = BondMode::kBalanceTcp}, "spec.mode",
                "balance-tcp needs LACP");
  ExpectInvalid({.members = {"eth0", "eth1"}, .lacp_time = LacpTime::kFast}, "spec.lacp_time",
                "only with LACP");
  ExpectInvalid({.members = {"eth0", "eth1"}, .rebalance_interval_ms = 999},
                "spec.rebalance_interval_ms", "1000–10000000");
  EXPECT_TRUE(ValidateBondSpec({.members = {"eth0", "eth1"},
                                .mode = BondMode::kBalanceTcp,
                                .lacp = LacpMode::kActive,
                                .lacp_time = LacpTime::kFast,
                                .lacp_fallback_active_backup = true})
                  .ok());
}

TEST(BondSpecTest, ActiveBackupCreateIsOneGuardedTransaction) {
  const json ops = CreateBondOperations("br0-up", "br0", TwoMembers());
  const json golden = json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br0"]],
     "columns": ["name"], "until": "==", "rows": [{"name": "br0"}]},
    {"op": "wait", "table": "Port", "timeout": 0, "where": [["name", "==", "br0-up"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "wait", "table": "Interface", "timeout": 0, "where": [["name", "==", "eth0"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "insert", "table": "Interface", "uuid-name": "member0",
     "row": {"name": "eth0", "external_ids": ["map", [["bond", "br0-up"],
             ["kind", "bond-member"], ["owner", "hvagent"]]]}},
    {"op": "wait", "table": "Interface", "timeout": 0, "where": [["name", "==", "eth1"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "insert", "table": "Interface", "uuid-name": "member1",
     "row": {"name": "eth1", "external_ids": ["map", [["bond", "br0-up"],
             ["kind", "bond-member"], ["owner", "hvagent"]]]}},
    {"op": "insert", "table": "Port", "uuid-name": "bond",
     "row": {"name": "br0-up", "bond_mode": "active-backup", "lacp": "off",
             "other_config": ["map", []],
             "interfaces": ["set", [["named-uuid", "member0"], ["named-uuid", "member1"]]],
             "external_ids": ["map", [["bridge", "br0"], ["kind", "bond"],
                                      ["owner", "hvagent"]]]}},
    {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
     "mutations": [["ports", "insert", ["set", [["named-uuid", "bond"]]]]]}
  ])");
  EXPECT_EQ(ops, golden) << ops.dump(2);
}

TEST(BondSpecTest, LacpAndBalancingOptionsBecomePortColumns) {
  const json tcp = BondPortColumns({.members = {"eth0", "eth1"},
                                    .mode = BondMode::kBalanceTcp,
                                    .lacp = LacpMode::kActive,
                                    .lacp_time = LacpTime::kFast,
                                    .lacp_fallback_active_backup = true});
  EXPECT_EQ(tcp, json::parse(R"({"bond_mode": "balance-tcp", "lacp": "active",
      "other_config": ["map", [["bond-rebalance-interval", "10000"],
                               ["lacp-fallback-ab", "true"], ["lacp-time", "fast"]]]})"));
  const json slb = BondPortColumns(
      {.members = {"eth0", "eth1"}, .mode = BondMode::kBalanceSlb, .rebalance_interval_ms = 2000});
  EXPECT_EQ(slb, json::parse(R"({"bond_mode": "balance-slb", "lacp": "off",
      "other_config": ["map", [["bond-rebalance-interval", "2000"]]]})"));
  const json passive = BondPortColumns(
      {.members = {"eth0", "eth1"}, .lacp = LacpMode::kPassive, .lacp_time = LacpTime::kSlow});
  EXPECT_EQ(passive["lacp"], "passive");
  EXPECT_EQ(passive["other_config"],
            json::parse(R"(["map", [["lacp-fallback-ab", "false"], ["lacp-time", "slow"]]])"));
}

// A snapshot of br0 with bond br0-up of eth0 (active) and eth1.
SwitchSnapshot BondSnapshot() {
  SwitchSnapshot snap;
  snap.bridges.push_back({.uuid = "b-1", .name = "br0", .ports = {"p-1"}});
  snap.ports["p-1"] = {.uuid = "p-1",
                       .name = "br0-up",
                       .interfaces = {"i-1", "i-2"},
                       .bond_mode = "active-backup",
                       .lacp = "active",
                       .bond_active_slave = "aa:00:00:00:00:01",
                       .other_config = {{"lacp-time", "fast"}, {"lacp-fallback-ab", "true"}},
                       .external_ids = OwnedIds(kKindBond, {{"bridge", "br0"}})};
  // Members: administratively up, LACP not (yet) current.
  for (const auto& [uuid, name, link, mac] :
       {std::tuple{"i-1", "eth0", "up", "aa:00:00:00:00:01"},
        std::tuple{"i-2", "eth1", "down", "aa:00:00:00:00:02"}}) {
    snap.interfaces[uuid] = {.uuid = uuid,
                             .name = name,
                             .admin_state = "up",
                             .link_state = link,
                             .mac_in_use = mac,
                             .lacp_current = false};
  }
  return snap;
}

TEST(BondSpecTest, UpdateKeepsMemberRowsAndGuardsTheMembersRead) {
  const SwitchSnapshot snap = BondSnapshot();
  const json ops = UpdateBondOperations(
      snap, snap.ports.at("p-1"), {.members = {"eth1", "eth2"}, .mode = BondMode::kBalanceSlb});
  const json golden = json::parse(R"([
    {"op": "wait", "table": "Port", "timeout": 0, "where": [["_uuid", "==", ["uuid", "p-1"]]],
     "columns": ["interfaces"], "until": "==",
     "rows": [{"interfaces": ["set", [["uuid", "i-1"], ["uuid", "i-2"]]]}]},
    {"op": "wait", "table": "Interface", "timeout": 0, "where": [["name", "==", "eth2"]],
     "columns": ["name"], "until": "==", "rows": []},
    {"op": "insert", "table": "Interface", "uuid-name": "member1",
     "row": {"name": "eth2", "external_ids": ["map", [["bond", "br0-up"],
             ["kind", "bond-member"], ["owner", "hvagent"]]]}},
    {"op": "update", "table": "Port", "where": [["_uuid", "==", ["uuid", "p-1"]]],
     "row": {"bond_mode": "balance-slb", "lacp": "off",
             "other_config": ["map", [["bond-rebalance-interval", "10000"]]],
             "interfaces": ["set", [["uuid", "i-2"], ["named-uuid", "member1"]]]}}
  ])");
  EXPECT_EQ(ops, golden) << ops.dump(2);
}

TEST(BondStatusTest, ActiveMemberCarrierAndLacpFromTheRows) {
  SwitchSnapshot snap = BondSnapshot();
  BondStatus status = DescribeBond(snap, snap.ports.at("p-1"));
  EXPECT_EQ(status.name, "br0-up");
  EXPECT_EQ(status.bridge, "br0");
  EXPECT_TRUE(status.agent_owned);
  EXPECT_EQ(status.spec.members, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(status.spec.mode, BondMode::kActiveBackup);
  EXPECT_EQ(status.spec.lacp, LacpMode::kActive);
  EXPECT_EQ(status.spec.lacp_time, LacpTime::kFast);
  EXPECT_TRUE(status.spec.lacp_fallback_active_backup);
  EXPECT_EQ(status.active_member, "eth0");
  // No partner answers: LACP is configured, the bond fell back to active-backup.
  EXPECT_EQ(status.lacp_status, "configured");
  ASSERT_EQ(status.members.size(), 2u);
  EXPECT_TRUE(status.members[0].active);
  EXPECT_TRUE(status.members[0].carrier);
  EXPECT_TRUE(status.members[0].enabled);
  EXPECT_EQ(status.members[0].lacp_state, "not-current");
  EXPECT_FALSE(status.members[1].carrier);
  EXPECT_FALSE(status.members[1].enabled);

  // Without fallback, a bond whose partner does not answer carries nothing.
  snap.ports["p-1"].other_config["lacp-fallback-ab"] = "false";
  status = DescribeBond(snap, snap.ports.at("p-1"));
  EXPECT_FALSE(status.members[0].enabled);
  snap.ports["p-1"].other_config["lacp-fallback-ab"] = "true";

  // The partner answers on eth0 only: negotiated, and eth1 is out of the aggregate.
  snap.interfaces["i-1"].lacp_current = true;
  snap.interfaces["i-2"].link_state = "up";
  status = DescribeBond(snap, snap.ports.at("p-1"));
  EXPECT_EQ(status.lacp_status, "negotiated");
  EXPECT_EQ(status.members[0].lacp_state, "current");
  EXPECT_TRUE(status.members[0].enabled);
  EXPECT_FALSE(status.members[1].enabled);
}

TEST(BondStatusTest, ParsesTheServersEncodingOfABondPort) {
  // What ovsdb-server answers for a bond (sets of one are bare atoms).
  const json results = json::parse(R"([
    {"rows": [{"_uuid": ["uuid", "b-1"], "name": "br0", "datapath_type": "netdev",
               "ports": ["uuid", "p-1"], "external_ids": ["map", []]}]},
    {"rows": [{"_uuid": ["uuid", "p-1"], "name": "br0-up",
               "interfaces": ["set", [["uuid", "i-1"], ["uuid", "i-2"]]],
               "tag": ["set", []], "trunks": ["set", []], "vlan_mode": ["set", []],
               "bond_mode": "balance-slb", "lacp": ["set", []],
               "bond_active_slave": "aa:00:00:00:00:02",
               "other_config": ["map", [["bond-rebalance-interval", "2000"]]],
               "external_ids": ["map", [["owner", "hvagent"], ["kind", "bond"]]]}]},
    {"rows": [{"_uuid": ["uuid", "i-1"], "name": "eth0", "type": "",
               "external_ids": ["map", []], "admin_state": "up", "link_state": "up",
               "mac_in_use": "aa:00:00:00:00:01", "lacp_current": ["set", []]},
              {"_uuid": ["uuid", "i-2"], "name": "eth1", "type": "",
               "external_ids": ["map", []], "admin_state": ["set", []],
               "link_state": ["set", []], "mac_in_use": "aa:00:00:00:00:02",
               "lacp_current": ["set", []]}]}
  ])");
  auto snap = ParseSnapshot(results);
  ASSERT_TRUE(snap.ok()) << snap.status();
  const BondStatus status = DescribeBond(*snap, *snap->FindPort("br0-up"));
  EXPECT_EQ(status.spec.mode, BondMode::kBalanceSlb);
  EXPECT_EQ(status.spec.lacp, LacpMode::kOff);
  EXPECT_EQ(status.spec.rebalance_interval_ms, 2000u);
  EXPECT_EQ(status.lacp_status, "off");
  EXPECT_EQ(status.active_member, "eth1");
  EXPECT_EQ(status.members[0].lacp_state, "");
  EXPECT_TRUE(status.members[0].enabled);
  EXPECT_FALSE(status.members[1].enabled);  // ovs-vswitchd has not reported it yet
  EXPECT_EQ(snap->bridges[0].ports, (std::vector<std::string>{"p-1"}));
}

TEST(BondStatusTest, ASnapshotReadFromTheMonitorCacheIsTheSelectsAndCostsNoTransaction) {
  // The rows of the bond above, as the monitor keeps them (UUIDs as keys).
  ovsdb::Cache cache;
  ASSERT_TRUE(cache
                  .ApplyUpdate2(json::parse(R"({
    "Bridge": {"b-1": {"initial": {"name": "br0", "datapath_type": "netdev",
                                   "ports": ["uuid", "p-1"], "external_ids": ["map", []]}}},
    "Port": {"p-1": {"initial": {"name": "br0-up",
                                 "interfaces": ["set", [["uuid", "i-1"], ["uuid", "i-2"]]],
                                 "tag": ["set", []], "trunks": ["set", []],
                                 "vlan_mode": ["set", []], "bond_mode": "balance-slb",
                                 "lacp": ["set", []], "bond_active_slave": "aa:00:00:00:00:02",
                                 "other_config": ["map", [["bond-rebalance-interval", "2000"]]],
                                 "external_ids": ["map", [["owner", "hvagent"], ["kind", "bond"]]]}}},
    "Interface": {
      "i-1": {"initial": {"name": "eth0", "type": "", "external_ids": ["map", []],
                          "admin_state": "up", "link_state": "up",
                          "mac_in_use": "aa:00:00:00:00:01", "lacp_current": ["set", []]}},
      "i-2": {"initial": {"name": "eth1", "type": "", "external_ids": ["map", []],
                          "admin_state": ["set", []], "link_state": ["set", []],
                          "mac_in_use": "aa:00:00:00:00:02", "lacp_current": ["set", []]}}}
  })"),
                                ovsdb::DatabaseSchema{})
                  .ok());
  ScriptedTransactor ovsdb({});  // any transaction would be "unscripted"
  ovsdb.cache = std::move(cache);
  auto snap = ReadSnapshot(ovsdb);
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_THAT(ovsdb.sent, ::testing::IsEmpty());
  ASSERT_EQ(snap->bridges.size(), 1U);
  EXPECT_EQ(snap->bridges[0].uuid, "b-1");
  EXPECT_EQ(snap->bridges[0].ports, (std::vector<std::string>{"p-1"}));
  const BondStatus status = DescribeBond(*snap, *snap->FindPort("br0-up"));
  EXPECT_EQ(status.spec.mode, BondMode::kBalanceSlb);
  EXPECT_EQ(status.spec.rebalance_interval_ms, 2000u);
  EXPECT_EQ(status.active_member, "eth1");
  EXPECT_TRUE(status.members[0].enabled);
  EXPECT_FALSE(status.members[1].enabled);
  EXPECT_EQ(snap->interfaces.at("i-1").mac_in_use, "aa:00:00:00:00:01");

  // No current cache (disconnected): the selects, as before.
  ScriptedTransactor uncached({absl::UnavailableError("ovsdb-server is not connected")});
  EXPECT_EQ(ReadSnapshot(uncached).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(uncached.sent.size(), 1U);
}

TEST(BondStatusTest, DeleteDropsTheReferenceFromTheBridge) {
  const SwitchSnapshot snap = BondSnapshot();
  EXPECT_EQ(DeleteBondOperations(snap.ports.at("p-1")), json::parse(R"([
    {"op": "mutate", "table": "Bridge", "where": [["ports", "includes", ["uuid", "p-1"]]],
     "mutations": [["ports", "delete", ["set", [["uuid", "p-1"]]]]]}])"));
}

TEST(BondManagerTest, CreateWhoseGuardWaitTimedOutIsAbortedAndOtherErrorsPassThrough) {
  // The switch as read: bridge br0, no ports.
  const json snapshot = json::parse(R"([
    {"rows": [{"_uuid": ["uuid", "b-1"], "name": "br0", "datapath_type": "netdev",
               "ports": ["set", []], "external_ids": ["map", []]}]},
    {"rows": []}, {"rows": []}])");
  const auto any_nic = [](const std::string&) { return absl::OkStatus(); };
  const BondSpec spec{.members = {"eth0", "eth1"}};

  // A NIC or the bridge changed between the read and the write.
  ScriptedTransactor raced({snapshot, ovsdb::TransactionError(ovsdb::error_tag::kTimedOut, "")});
  const Status aborted = BondManager(raced, any_nic).Create("bond0", "br0", spec).status();
  EXPECT_EQ(aborted.code(), absl::StatusCode::kAborted) << aborted;
  EXPECT_NE(MessageOf(aborted).find("the bridge or a NIC changed on the switch"), std::string::npos)
      << aborted;
  ASSERT_EQ(raced.sent.size(), 2U);
  EXPECT_EQ(raced.sent[1], CreateBondOperations("bond0", "br0", spec));

  const Status refused =
      ovsdb::TransactionError(ovsdb::error_tag::kConstraintViolation, "wait timed out? no");
  ScriptedTransactor failing({snapshot, refused});
  EXPECT_EQ(BondManager(failing, any_nic).Create("bond0", "br0", spec).status(), refused);
}

}  // namespace
}  // namespace hvagent::network
