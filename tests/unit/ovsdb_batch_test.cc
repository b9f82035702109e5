// Merging callers' transactions into one and splitting the reply back.
#include <gtest/gtest.h>

#include "hvagent/ovsdb/batch.h"
#include "hvagent_test/port_plug_ops.h"

namespace hvagent::ovsdb {
namespace {

using nlohmann::json;

// A port plug on br0, as port plugging sends it.
json PlugOps(const std::string& name) { return hvagent::testing::PortPlugOps("br0", name); }

json Select() {
  return json::array({{{"op", "select"}, {"table", "Port"}, {"where", json::array()}}});
}

TEST(OvsdbBatchTest, RenameTouchesNamesAndReferencesOnly) {
  const json renamed = RenameUuidNames(PlugOps("tap0"), "m3_");
  EXPECT_EQ(renamed[0]["uuid-name"], "m3_iface");
  EXPECT_EQ(renamed[1]["uuid-name"], "m3_port");
  EXPECT_EQ(renamed[1]["row"]["interfaces"], json::parse(R"(["named-uuid", "m3_iface"])"));
  EXPECT_EQ(renamed[2]["mutations"][0][2], json::parse(R"(["set", [["named-uuid", "m3_port"]]])"));
  // Everything else is untouched: the row's name, the where clause, a real uuid.
  EXPECT_EQ(renamed[1]["row"]["name"], "tap0");
  EXPECT_EQ(renamed[2]["where"], PlugOps("tap0")[2]["where"]);
  const json with_uuid = json::array(
      {{{"op", "delete"},
        {"table", "Port"},
        {"where", json::array({json::array({"_uuid", "==", json::array({"uuid", "abc"})})})}}});
  EXPECT_EQ(RenameUuidNames(with_uuid, "m0_"), with_uuid);
}

TEST(OvsdbBatchTest, ClassifiesOperations) {
  EXPECT_TRUE(ChangesDatabase(PlugOps("a")));
  EXPECT_FALSE(ChangesDatabase(Select()));
  EXPECT_FALSE(MustRunAlone(PlugOps("a")));
  const json wait0 = json::array({{{"op", "wait"}, {"table", "Bridge"}, {"timeout", 0}}});
  const json wait5 = json::array({{{"op", "wait"}, {"table", "Bridge"}, {"timeout", 5000}}});
  const json wait_forever = json::array({{{"op", "wait"}, {"table", "Bridge"}}});
  EXPECT_FALSE(MustRunAlone(wait0));
  EXPECT_TRUE(MustRunAlone(wait5));
  EXPECT_TRUE(MustRunAlone(wait_forever));
}

TEST(OvsdbBatchTest, MergeKeepsEachMembersNamesApartAndBumpsNextCfg) {
  const Batch batch = Batch::Merge({PlugOps("a"), Select(), PlugOps("b")}, true);
  ASSERT_EQ(batch.members.size(), 3U);
  EXPECT_EQ(batch.members[0].first_op, 0U);
  EXPECT_EQ(batch.members[1].first_op, 3U);
  EXPECT_EQ(batch.members[2].first_op, 4U);
  EXPECT_EQ(batch.members[2].op_count, 3U);
  ASSERT_EQ(batch.operations.size(), 9U);
  EXPECT_EQ(batch.operations[1]["uuid-name"], "m0_port");
  EXPECT_EQ(batch.operations[5]["uuid-name"], "m2_port");
  EXPECT_EQ(batch.operations[5]["row"]["interfaces"][1], "m2_iface");
  EXPECT_EQ(batch.operations[7], NextCfgBumpOperations()[0]);
  EXPECT_EQ(batch.operations[8], NextCfgBumpOperations()[1]);
  // A lone member is sent as written.
  const Batch alone = Batch::Merge({PlugOps("a")}, false);
  EXPECT_EQ(alone.operations, PlugOps("a"));
  EXPECT_FALSE(alone.bumps_next_cfg);
}

TEST(OvsdbBatchTest, SplitGivesEachMemberItsSliceAndTheNewNextCfg) {
  const Batch batch = Batch::Merge({PlugOps("a"), Select()}, true);
  const json results = json::parse(R"([
      {"uuid": ["uuid", "i-a"]}, {"uuid": ["uuid", "p-a"]}, {"count": 1},
      {"rows": [{"name": "x"}]},
      {"count": 1}, {"rows": [{"next_cfg": 42}]}])");
  auto reply = BatchReply::Split(batch, results);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->committed);
  ASSERT_EQ(reply->member_results.size(), 2U);
  EXPECT_EQ(reply->member_results[0],
            json::parse(R"([{"uuid": ["uuid", "i-a"]}, {"uuid": ["uuid", "p-a"]}, {"count": 1}])"));
  EXPECT_EQ(reply->member_results[1], json::parse(R"([{"rows": [{"name": "x"}]}])"));
  EXPECT_EQ(reply->next_cfg, 42);
}

TEST(OvsdbBatchTest, FailedOperationNamesTheGuiltyMemberWithItsOwnNames) {
  const Batch batch = Batch::Merge({PlugOps("a"), PlugOps("b"), PlugOps("c")}, true);
  // The server stops at member 1's Port insert (index 4).
  const json results = json::parse(R"([
      {"uuid": ["uuid", "1"]}, {"uuid": ["uuid", "2"]}, {"count": 1}, {"uuid": ["uuid", "3"]},
      {"error": "constraint violation", "details": "m1_port: bad tag"}, null, null])");
  auto reply = BatchReply::Split(batch, results);
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->committed);
  EXPECT_EQ(reply->guilty, 1U);
  EXPECT_EQ(reply->error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MessageOf(reply->error),
            "ovsdb transaction failed: constraint violation: port: bad tag");
}

TEST(OvsdbBatchTest, CommitErrorBlamesNobodyUnlessAlone) {
  const json commit_failed = json::parse(R"([
      {"uuid": ["uuid", "1"]}, {"uuid": ["uuid", "2"]}, {"count": 1},
      {"uuid": ["uuid", "3"]}, {"uuid": ["uuid", "4"]}, {"count": 1},
      {"error": "constraint violation", "details": "duplicate name"}])");
  auto merged = BatchReply::Split(Batch::Merge({PlugOps("a"), PlugOps("a")}, false), commit_failed);
  ASSERT_TRUE(merged.ok());
  EXPECT_FALSE(merged->committed);
  EXPECT_FALSE(merged->guilty.has_value());

  auto alone = BatchReply::Split(Batch::Merge({PlugOps("a")}, false),
                                 json::parse(R"([{"uuid": ["uuid", "1"]}, {"uuid": ["uuid", "2"]},
                                   {"count": 1}, {"error": "referential integrity violation"}])"));
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->guilty, 0U);
  EXPECT_EQ(MessageOf(alone->error), "ovsdb transaction failed: referential integrity violation: ");
}

TEST(OvsdbBatchTest, MalformedRepliesAreInternal) {
  const Batch batch = Batch::Merge({PlugOps("a")}, false);
  EXPECT_EQ(BatchReply::Split(batch, json::object()).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(BatchReply::Split(batch, json::parse(R"([{"count": 1}])")).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace hvagent::ovsdb
