// Cache update rules: update (monitor) and update2 (monitor_cond) notifications,
// with update2's diff semantics for atoms, sets and maps.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "hvagent/ovsdb/cache.h"

namespace hvagent::ovsdb {
namespace {

// The changes without the deleted rows' old content (checked on their own).
std::vector<RowChange> WithoutOldRows(std::vector<RowChange> changes) {
  for (RowChange& change : changes) change.old = nullptr;
  return changes;
}

using nlohmann::json;

// A slice of vswitch.ovsschema: atom, optional (set of 0..1), set, map columns.
DatabaseSchema TestSchema() {
  const json schema = json::parse(R"({
    "name": "Open_vSwitch", "version": "8.3.0",
    "tables": {
      "Port": {"columns": {
        "name": {"type": "string"},
        "tag": {"type": {"key": {"type": "integer", "minInteger": 0, "maxInteger": 4095},
                         "min": 0, "max": 1}},
        "trunks": {"type": {"key": "integer", "min": 0, "max": 4096}},
        "interfaces": {"type": {"key": {"type": "uuid", "refTable": "Interface"},
                                "min": 1, "max": "unlimited"}},
        "external_ids": {"type": {"key": "string", "value": "string",
                                  "min": 0, "max": "unlimited"}},
        "bond_fake_link_state": {"type": "boolean"}}}}})");
  auto parsed = DatabaseSchema::Parse(schema);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

// A row UUID (a function: a namespace-scope std::string may throw at start-up).
const std::string& RowUuid() {
  static const std::string kUuid = "6d5d3bb2-3f1c-4a4b-9d9e-000000000001";
  return kUuid;
}

TEST(OvsdbSchemaTest, ColumnKindsAndDefaults) {
  const DatabaseSchema schema = TestSchema();
  const auto& columns = schema.tables.at("Port").columns;
  EXPECT_EQ(schema.version, "8.3.0");
  EXPECT_EQ(columns.at("name").kind, ColumnType::Kind::kAtom);
  // Optional (0..1): replaced whole in a diff, as ovsdb-server's ovsdb_datum_diff does.
  EXPECT_EQ(columns.at("tag").kind, ColumnType::Kind::kAtom);
  EXPECT_EQ(columns.at("trunks").kind, ColumnType::Kind::kSet);
  EXPECT_EQ(columns.at("external_ids").kind, ColumnType::Kind::kMap);
  EXPECT_EQ(columns.at("name").DefaultValue(), "");
  EXPECT_EQ(columns.at("bond_fake_link_state").DefaultValue(), false);
  EXPECT_EQ(columns.at("tag").DefaultValue(), json::parse(R"(["set", []])"));
  EXPECT_EQ(columns.at("external_ids").DefaultValue(), json::parse(R"(["map", []])"));
}

TEST(OvsdbSchemaTest, MalformedSchemaIsInvalidArgument) {
  EXPECT_EQ(DatabaseSchema::Parse(json::parse(R"({"name": "x"})")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DatabaseSchema::Parse(json::parse(R"({"tables": {"T": {"columns": {"c": {}}}}})"))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OvsdbCacheTest, NormalizeSortsSetsAndMapsAndUnwrapsSingletons) {
  EXPECT_EQ(NormalizeDatum(json::parse(R"(["set", [30, 10, 20]])")),
            json::parse(R"(["set", [10, 20, 30]])"));
  EXPECT_EQ(NormalizeDatum(json::parse(R"(["set", [7]])")), 7);
  EXPECT_EQ(NormalizeDatum(json::parse(R"(["map", [["b", "2"], ["a", "1"]]])")),
            json::parse(R"(["map", [["a", "1"], ["b", "2"]]])"));
  // A uuid atom is a two-element array but not a set.
  EXPECT_EQ(NormalizeDatum(json::parse(R"(["uuid", "x"])")), json::parse(R"(["uuid", "x"])"));
}

TEST(OvsdbCacheTest, InitialRowGetsDefaultsForOmittedColumns) {
  Cache cache;
  auto changes = cache.ApplyUpdate2(
      json::parse(R"({"Port": {")" + RowUuid() +
                  R"(": {"initial": {"name": "p1", "trunks": ["set", [20, 10]]}}}})"),
      TestSchema());
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(*changes, (std::vector<RowChange>{{"Port", RowUuid(), RowChange::Kind::kInsert}}));
  const Row& row = cache.table("Port").at(RowUuid());
  EXPECT_EQ(row["name"], "p1");
  EXPECT_EQ(row["trunks"], json::parse(R"(["set", [10, 20]])"));
  EXPECT_EQ(row["tag"], json::parse(R"(["set", []])"));
  EXPECT_EQ(row["external_ids"], json::parse(R"(["map", []])"));
  EXPECT_EQ(row["bond_fake_link_state"], false);
}

TEST(OvsdbCacheTest, Update2ModifyAppliesDiffsPerColumnKind) {
  const DatabaseSchema schema = TestSchema();
  Cache cache;
  ASSERT_TRUE(cache
                  .ApplyUpdate2(json::parse(R"({"Port": {")" + RowUuid() + R"(": {"insert": {
                      "name": "p1", "tag": 10, "trunks": ["set", [10, 20]],
                      "external_ids": ["map", [["owner", "hvagent"], ["vm", "a"]]]}}}})"),
                                schema)
                  .ok());
  // name and tag (optional, one value at most): replaced; trunks: 20 off, 30 on;
  // external_ids: vm changed, owner deleted (same value), mac inserted.
  auto changes = cache.ApplyUpdate2(json::parse(R"({"Port": {")" + RowUuid() + R"(": {"modify": {
      "name": "p2", "tag": 20, "trunks": ["set", [20, 30]],
      "external_ids": ["map", [["vm", "b"], ["owner", "hvagent"], ["mac", "52:54"]]]}}}})"),
                                    schema);
  ASSERT_TRUE(changes.ok()) << changes.status();
  EXPECT_EQ(*changes, (std::vector<RowChange>{{"Port", RowUuid(), RowChange::Kind::kModify}}));
  const Row& row = cache.table("Port").at(RowUuid());
  EXPECT_EQ(row["name"], "p2");
  EXPECT_EQ(row["tag"], 20);
  EXPECT_EQ(row["trunks"], json::parse(R"(["set", [10, 30]])"));
  EXPECT_EQ(row["external_ids"], json::parse(R"(["map", [["mac", "52:54"], ["vm", "b"]]])"));

  // An optional column emptied: the diff is its new (empty) value.
  ASSERT_TRUE(cache
                  .ApplyUpdate2(json::parse(R"({"Port": {")" + RowUuid() +
                                            R"(": {"modify": {"tag": ["set", []]}}}})"),
                                schema)
                  .ok());
  EXPECT_EQ(cache.table("Port").at(RowUuid())["tag"], json::parse(R"(["set", []])"));
}

TEST(OvsdbCacheTest, Update2DeleteAndUnknownRows) {
  const DatabaseSchema schema = TestSchema();
  Cache cache;
  ASSERT_TRUE(cache
                  .ApplyUpdate2(json::parse(R"({"Port": {")" + RowUuid() +
                                            R"(": {"insert": {"name": "p"}}}})"),
                                schema)
                  .ok());
  auto deleted = cache.ApplyUpdate2(
      json::parse(R"({"Port": {")" + RowUuid() + R"(": {"delete": null}}})"), schema);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(WithoutOldRows(*deleted),
            (std::vector<RowChange>{{"Port", RowUuid(), RowChange::Kind::kDelete}}));
  EXPECT_EQ(deleted->at(0).old["name"], "p");  // what went, for the listeners
  EXPECT_TRUE(cache.table("Port").empty());
  // A modify of a row the cache never saw is a protocol error (the client resyncs).
  EXPECT_EQ(cache
                .ApplyUpdate2(
                    json::parse(R"({"Port": {")" + RowUuid() + R"(": {"modify": {"name": "x"}}}})"),
                    schema)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      cache
          .ApplyUpdate2(json::parse(R"({"Port": {")" + RowUuid() + R"(": {"bogus": {}}}})"), schema)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(OvsdbCacheTest, ResentInsertReplacesTheRowNeverDuplicates) {
  const DatabaseSchema schema = TestSchema();
  Cache cache;
  const json insert =
      json::parse(R"({"Port": {")" + RowUuid() + R"(": {"insert": {"name": "p", "tag": 5}}}})");
  ASSERT_TRUE(cache.ApplyUpdate2(insert, schema).ok());
  auto again = cache.ApplyUpdate2(
      json::parse(R"({"Port": {")" + RowUuid() + R"(": {"insert": {"name": "p"}}}})"), schema);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(cache.table("Port").size(), 1U);
  EXPECT_EQ(cache.table("Port").at(RowUuid())["tag"], json::parse(R"(["set", []])"));
}

// One update2 notification, as ovsdb-server sends after a transaction, with
// an insert, a modify and a delete: each row's one member names its kind (a
// kind read wrongly would apply the wrong change or none). Under ASan this is
// also the regression test for reading that member through a dead temporary.
TEST(OvsdbCacheTest, Update2InsertModifyAndDeleteInOneNotification) {
  const DatabaseSchema schema = TestSchema();
  const std::string modified = "00000000-0000-0000-0000-000000000001";
  const std::string deleted = "00000000-0000-0000-0000-000000000002";
  const std::string inserted = "00000000-0000-0000-0000-000000000003";
  Cache cache;
  ASSERT_TRUE(cache
                  .ApplyUpdate2(json{{"Port",
                                      {{modified, {{"initial", {{"name", "m"}, {"tag", 1}}}}},
                                       {deleted, {{"initial", {{"name", "d"}}}}}}}},
                                schema)
                  .ok());
  auto changes = cache.ApplyUpdate2(
      json{{"Port",
            {{inserted,
              {{"insert", {{"name", "i"}, {"trunks", json::parse(R"(["set", [2, 1]])")}}}}},
             {modified, {{"modify", {{"tag", 7}}}}},
             {deleted, {{"delete", nullptr}}}}}},
      schema);
  ASSERT_TRUE(changes.ok()) << changes.status();
  // Rows come in UUID order (a JSON object's members are sorted).
  EXPECT_EQ(WithoutOldRows(*changes),
            (std::vector<RowChange>{{"Port", modified, RowChange::Kind::kModify},
                                    {"Port", deleted, RowChange::Kind::kDelete},
                                    {"Port", inserted, RowChange::Kind::kInsert}}));
  EXPECT_TRUE(changes->at(0).old.is_null());
  EXPECT_TRUE(changes->at(1).old.is_object());
  const Table& ports = cache.table("Port");
  ASSERT_EQ(ports.size(), 2U);
  EXPECT_EQ(ports.count(deleted), 0U);
  EXPECT_EQ(ports.at(modified)["name"], "m");
  EXPECT_EQ(ports.at(modified)["tag"], 7);
  EXPECT_EQ(ports.at(inserted)["name"], "i");
  EXPECT_EQ(ports.at(inserted)["trunks"], json::parse(R"(["set", [1, 2]])"));
  EXPECT_EQ(ports.at(inserted)["tag"], json::parse(R"(["set", []])"));
}

TEST(OvsdbCacheTest, Update1NewOldSemantics) {
  const DatabaseSchema schema = TestSchema();
  Cache cache;
  auto inserted = cache.ApplyUpdate(
      json::parse(R"({"Port": {")" + RowUuid() + R"(": {"new": {"name": "p", "tag": 3}}}})"),
      schema);
  ASSERT_TRUE(inserted.ok());
  EXPECT_EQ(inserted->at(0).kind, RowChange::Kind::kInsert);
  // "modify" in update1 carries full new values, not diffs.
  auto modified =
      cache.ApplyUpdate(json::parse(R"({"Port": {")" + RowUuid() +
                                    R"(": {"old": {"tag": 3}, "new": {"name": "p", "tag": 4}}}})"),
                        schema);
  ASSERT_TRUE(modified.ok());
  EXPECT_EQ(modified->at(0).kind, RowChange::Kind::kModify);
  EXPECT_EQ(cache.table("Port").at(RowUuid())["tag"], 4);
  auto deleted = cache.ApplyUpdate(
      json::parse(R"({"Port": {")" + RowUuid() + R"(": {"old": {"name": "p"}}}})"), schema);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->at(0).kind, RowChange::Kind::kDelete);
  EXPECT_EQ(deleted->at(0).old["tag"], 4);
  EXPECT_TRUE(cache.table("Port").empty());
}

TEST(OvsdbCacheTest, DiffOfTwoCachesNamesEveryChange) {
  const DatabaseSchema schema = TestSchema();
  Cache before;
  Cache after;
  const std::string kept = "00000000-0000-0000-0000-00000000000a";
  const std::string gone = "00000000-0000-0000-0000-00000000000b";
  const std::string fresh = "00000000-0000-0000-0000-00000000000c";
  const std::string changed = "00000000-0000-0000-0000-00000000000d";
  // Each cache starts from its own initial Port rows: uuid -> name.
  const auto initial_ports = [](const std::map<std::string, std::string>& names) {
    json rows = json::object();
    for (const auto& [uuid, name] : names) rows[uuid] = {{"initial", {{"name", name}}}};
    return json{{"Port", rows}};
  };
  ASSERT_TRUE(
      before.ApplyUpdate2(initial_ports({{kept, "k"}, {gone, "g"}, {changed, "c"}}), schema).ok());
  ASSERT_TRUE(
      after.ApplyUpdate2(initial_ports({{kept, "k"}, {fresh, "f"}, {changed, "c2"}}), schema).ok());
  EXPECT_EQ(Cache::Diff(before, after).front().old["name"], "g");
  EXPECT_EQ(WithoutOldRows(Cache::Diff(before, after)),
            (std::vector<RowChange>{{"Port", gone, RowChange::Kind::kDelete},
                                    {"Port", changed, RowChange::Kind::kModify},
                                    {"Port", fresh, RowChange::Kind::kInsert}}));
  EXPECT_TRUE(Cache::Diff(after, after).empty());
}

// FindNamed answers from an index kept with the rows: through inserts, a
// rename, a resent insert and deletes, by either protocol.
TEST(OvsdbCacheTest, FindNamedFollowsInsertsRenamesAndDeletes) {
  const DatabaseSchema schema = TestSchema();
  const std::string other = "00000000-0000-0000-0000-00000000000e";
  const auto named = [](const Cache& cache, const std::string& name) {
    const auto [uuid, row] = cache.FindNamed("Port", name);
    EXPECT_EQ(uuid == nullptr, row == nullptr);
    if (row != nullptr) {
      EXPECT_EQ((*row)["name"], name);
    }
    return uuid == nullptr ? std::string("none") : *uuid;
  };
  for (const bool update2 : {true, false}) {
    SCOPED_TRACE(update2 ? "update2" : "update");
    Cache cache;
    // `row` inserted (a whole new row), or the row deleted when null.
    const auto apply = [&](const std::string& uuid, const json& row) {
      json change = json::object();
      if (update2) {
        change = row.is_null() ? json{{"delete", nullptr}} : json{{"insert", row}};
      } else if (!row.is_null()) {
        change = json{{"new", row}};
      }
      json update = json::object();
      update["Port"][uuid] = change;
      const auto applied =
          update2 ? cache.ApplyUpdate2(update, schema) : cache.ApplyUpdate(update, schema);
      EXPECT_TRUE(applied.ok()) << applied.status();
    };
    apply(RowUuid(), json{{"name", "p1"}});
    apply(other, json{{"name", "p2"}});
    EXPECT_EQ(named(cache, "p1"), RowUuid());
    EXPECT_EQ(named(cache, "p2"), other);
    EXPECT_EQ(named(cache, "p3"), "none");
    EXPECT_EQ(cache.FindNamed("Interface", "p1").first, nullptr);

    // Renamed (by a modify, or a whole new row): the old name is free.
    if (update2) {
      ASSERT_TRUE(
          cache.ApplyUpdate2({{"Port", {{RowUuid(), {{"modify", {{"name", "p3"}}}}}}}}, schema)
              .ok());
    } else {
      apply(RowUuid(), json{{"name", "p3"}});
    }
    EXPECT_EQ(named(cache, "p1"), "none");
    EXPECT_EQ(named(cache, "p3"), RowUuid());

    apply(RowUuid(), json(nullptr));
    EXPECT_EQ(named(cache, "p3"), "none");
    EXPECT_EQ(named(cache, "p2"), other);
  }
}

// A set diff toggles its elements in a large set as in a small one (a
// bridge's ports: thousands of UUIDs, a few on and off per update).
TEST(OvsdbCacheTest, Update2SetDiffOnALargeSetTogglesOnlyItsElements) {
  const DatabaseSchema schema = TestSchema();
  Cache cache;
  json trunks = json::array();
  for (int vlan = 1; vlan <= 4000; ++vlan) trunks.push_back(vlan);
  ASSERT_TRUE(
      cache
          .ApplyUpdate2(
              {{"Port",
                {{RowUuid(),
                  {{"insert", {{"name", "p1"}, {"trunks", json::array({"set", trunks})}}}}}}}},
              schema)
          .ok());
  // Off: 1, 2000, 4000. On: 4001, 0.
  ASSERT_TRUE(
      cache
          .ApplyUpdate2(
              {{"Port",
                {{RowUuid(),
                  {{"modify", {{"trunks", json::array({"set", {4000, 2000, 4001, 1, 0}})}}}}}}}},
              schema)
          .ok());
  const json& now = cache.table("Port").at(RowUuid())["trunks"][1];
  ASSERT_EQ(now.size(), 3999U);
  EXPECT_EQ(now.front(), 0);
  EXPECT_EQ(now[1], 2);
  EXPECT_EQ(now.back(), 4001);
  EXPECT_TRUE(std::is_sorted(now.begin(), now.end()));
  EXPECT_EQ(std::count(now.begin(), now.end(), 2000), 0);
  // Down to one element: its bare atom, as ovsdb-server writes it.
  json all_but_7 = json::array();
  for (const json& vlan : now) {
    if (vlan != 7) all_but_7.push_back(vlan);
  }
  ASSERT_TRUE(
      cache
          .ApplyUpdate2(
              {{"Port",
                {{RowUuid(), {{"modify", {{"trunks", json::array({"set", all_but_7})}}}}}}}},
              schema)
          .ok());
  EXPECT_EQ(cache.table("Port").at(RowUuid())["trunks"], 7);
}

}  // namespace
}  // namespace hvagent::ovsdb
