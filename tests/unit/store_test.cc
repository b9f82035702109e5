// The store against real SQLite files in a private temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hvagent/store/cpu_baseline_store.h"
#include "hvagent/store/database.h"
#include "hvagent/store/domain_type_verdict_store.h"
#include "hvagent/store/migration_record_store.h"
#include "hvagent/store/network_store.h"
#include "hvagent/store/request_log.h"
#include "hvagent/store/schema.h"
#include "hvagent/store/service_chain_store.h"
#include "hvagent/store/sqlite_error.h"
#include "hvagent_test/database.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::store {
namespace {

using ::absl::StatusCode;

// Each test gets its own directory, removed with everything in it.
class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> OpenOrDie() { return hvagent::testing::OpenDatabaseOrFail(path_); }

  static mode_t ModeOf(const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  hvagent::testing::TempDir dir_{"hvagent-store-test"};
  std::string path_ = (dir_ / "state" / "agent.db").string();
};

NetworkRecord Network(const std::string& name, uint32_t vlan_id) {
  return NetworkRecord{.name = name,
                       .uuid = "uuid-" + name,
                       .bridge = "br0",
                       .vlan_id = vlan_id,
                       .created_unix_ms = 1700000000000,
                       .generation = 0};
}

RequestRecord Request(const std::string& id, int64_t created_unix_ms) {
  return RequestRecord{.request_id = id,
                       .method = "/hvagent.v1.NetworkService/CreateNetwork",
                       .fingerprint = "fp-" + id,
                       .status_code = 0,
                       .status_message = "",
                       .response = "resp",
                       .created_unix_ms = created_unix_ms};
}

TEST_F(StoreTest, OpenCreatesPrivateDirectoryAndFile) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->path(), path_);
  EXPECT_EQ(ModeOf(dir_ / "state"), 0700u);
  EXPECT_EQ(ModeOf(path_), 0600u);
  // WAL's side files inherit the database file's mode.
  EXPECT_EQ(ModeOf(path_ + "-wal"), 0600u);
  auto mode = db->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok()) << mode.status();
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST_F(StoreTest, MigrationsSetUserVersionOnce) {
  ASSERT_EQ(LatestSchemaVersion(), 8);
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(*db->SchemaVersion(), LatestSchemaVersion());
    ASSERT_TRUE(NetworkStore(*db).Insert(Network("vlan.10", 10)).ok());
  }
  // Re-opening applies nothing (step 1 would fail: its table exists).
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*db->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(*NetworkStore(*db).Count(), 1);
}

TEST_F(StoreTest, OpenAppliesOnlyThePendingSteps) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(NetworkStore(*db).Insert(Network("vlan.10", 10)).ok());
    // As if written by an agent that knew only step 1.
    ASSERT_TRUE(
        db->Exec(
              "DROP TABLE requests; DROP TABLE passthrough_devices; DROP TABLE cpu_baseline; "
              "DROP TABLE migrations; DROP TABLE service_chains; DROP TABLE domain_type_verdict; "
              "PRAGMA user_version = 1")
            .ok());
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*db->SchemaVersion(), LatestSchemaVersion());
  EXPECT_EQ(*NetworkStore(*db).Count(), 1);
  EXPECT_TRUE(RequestLog(*db).Save(Request("r1", 1)).ok());
  EXPECT_TRUE(CpuBaselineStore(*db).Put({.cpu_xml = "<cpu/>", .set_unix_ms = 1}).ok());
  EXPECT_TRUE(DomainTypeVerdictStore(*db)
                  .Put({.host_key = "k", .domain_type = "qemu", .reason = "r", .probed_unix_ms = 1})
                  .ok());
}

TEST_F(StoreTest, DomainTypeVerdictIsOneRowThatSurvivesReopening) {
  const DomainTypeVerdictRecord kvm{.host_key = "kernel=6.18\n",
                                    .domain_type = "kvm",
                                    .reason = "kvm: a 64-bit guest ran under KVM in 0.20 s",
                                    .probed_unix_ms = 2};
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    DomainTypeVerdictStore verdicts(*db);
    EXPECT_EQ(*verdicts.Get(), std::nullopt);
    EXPECT_EQ(verdicts.Put({.host_key = "", .domain_type = "qemu"}).code(),
              StatusCode::kInvalidArgument);
    const Status xen = verdicts.Put({.host_key = "k", .domain_type = "xen"});
    EXPECT_EQ(xen.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(xen.message(), "a domain type verdict's domain_type 'xen' must be kvm or qemu");
    ASSERT_TRUE(verdicts.Put({.host_key = "old", .domain_type = "qemu", .probed_unix_ms = 1}).ok());
    ASSERT_TRUE(verdicts.Put(kvm).ok());
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  auto got = DomainTypeVerdictStore(*db).Get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, kvm);
}

TEST_F(StoreTest, ServiceChainsKeepTheirCookieAndCountGenerations) {
  const ServiceChainRecord web{.name = "web",
                               .uuid = "uuid-web",
                               .cookie_id = 0x1234,
                               .spec_json = R"({"name":"web"})",
                               .created_unix_ms = 7,
                               .generation = 0};
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ServiceChainStore chains(*db);
    ASSERT_TRUE(chains.Insert(web).ok());
    EXPECT_EQ(chains.Insert(web).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(chains.Update("web", "{}", 2).code(), StatusCode::kAborted);
    ASSERT_TRUE(chains.Update("web", R"({"name":"web","network":"vlan.10"})", 1).ok());
    EXPECT_EQ(chains.Update("nosuch", "{}", 1).code(), StatusCode::kNotFound);
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  ServiceChainStore chains(*db);
  auto got = chains.Get("web");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->cookie_id, 0x1234u);
  EXPECT_EQ(got->generation, 2);
  EXPECT_EQ(got->spec_json, R"({"name":"web","network":"vlan.10"})");
  EXPECT_EQ(chains.List()->size(), 1u);
  ASSERT_TRUE(chains.Delete("web").ok());
  EXPECT_EQ(chains.Delete("web").code(), StatusCode::kNotFound);
  EXPECT_EQ(chains.Get("web").status().message(), "service chain 'web' does not exist");
}

TEST_F(StoreTest, CpuBaselineIsOneRowThatSurvivesReopening) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    CpuBaselineStore baseline(*db);
    EXPECT_EQ(*baseline.Get(), std::nullopt);
    EXPECT_EQ(baseline.Put({.cpu_xml = "", .set_unix_ms = 1}).code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(baseline.Put({.cpu_xml = "<cpu>a</cpu>", .set_unix_ms = 1}).ok());
    ASSERT_TRUE(baseline.Put({.cpu_xml = "<cpu>b</cpu>", .set_unix_ms = 2}).ok());
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  auto got = CpuBaselineStore(*db).Get();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, (CpuBaselineRecord{.cpu_xml = "<cpu>b</cpu>", .set_unix_ms = 2}));
}

TEST_F(StoreTest, MigrationRecordsSurviveReopeningAndPruneOnlyEndedOnes) {
  const MigrationRecord running{.id = "m1",
                                .vm_name = "web",
                                .destination = "host2:7443",
                                .live = true,
                                .state = "running",
                                .phase = "migrating",
                                .data_total_bytes = 300,
                                .data_processed_bytes = 100,
                                .downtime_ms = 12,
                                .started_unix_ms = 1,
                                .updated_unix_ms = 2};
  MigrationRecord failed = running;
  failed.id = "m2";
  failed.state = "failed";
  failed.error_code = static_cast<int64_t>(StatusCode::kUnavailable);
  failed.error_message = "unable to connect to server";
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    MigrationRecordStore records(*db);
    EXPECT_EQ(*records.Get("m1"), std::nullopt);
    ASSERT_TRUE(records.Put(running).ok());
    ASSERT_TRUE(records.Put(failed).ok());
    MigrationRecord bad = running;
    bad.state = "lost";
    const Status refused = records.Put(bad);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(refused.message().find("'lost'"), std::string_view::npos) << refused;
    bad = running;
    bad.id.clear();
    EXPECT_EQ(records.Put(bad).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(*records.Get("m1"), running);  // nothing changed by the refusals
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  MigrationRecordStore records(*db);
  auto got = records.Get("m2");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, failed);
  // An update replaces the row.
  MigrationRecord ended = running;
  ended.state = "succeeded";
  ended.phase = "completed";
  ended.updated_unix_ms = 5;
  ASSERT_TRUE(records.Put(ended).ok());
  EXPECT_EQ(*records.Get("m1"), ended);
  // Pruning takes ended rows older than the bound only.
  ended.id = "m3";
  ended.updated_unix_ms = 50;
  ASSERT_TRUE(records.Put(ended).ok());
  MigrationRecord old_running = running;
  old_running.id = "m4";
  ASSERT_TRUE(records.Put(old_running).ok());
  auto pruned = records.PruneEnded(10);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 2);  // m1, m2
  EXPECT_EQ(*records.Get("m1"), std::nullopt);
  EXPECT_EQ(*records.Get("m2"), std::nullopt);
  EXPECT_NE(*records.Get("m3"), std::nullopt);
  EXPECT_NE(*records.Get("m4"), std::nullopt);
}

TEST_F(StoreTest, NewerSchemaIsFailedPrecondition) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("PRAGMA user_version = 99").ok());
  }
  auto db = Database::Open(path_);
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition) << db.status();
  EXPECT_NE(MessageOf(db.status()).find("99"), std::string::npos) << db.status();
}

TEST_F(StoreTest, NotADatabaseIsFailedPreconditionNamingThePath) {
  std::filesystem::create_directories(dir_ / "state");
  {
    std::ofstream out(path_);
    for (int i = 0; i < 100; ++i) out << "this is a text file, not a SQLite database\n";
  }
  auto db = Database::Open(path_);
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition) << db.status();
  EXPECT_NE(MessageOf(db.status()).find(path_), std::string::npos) << db.status();
  EXPECT_NE(MessageOf(db.status()).find("not a database"), std::string::npos) << db.status();
}

TEST_F(StoreTest, DataSurvivesReopen) {
  {
    auto db = OpenOrDie();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(NetworkStore(*db).Insert(Network("vlan.10", 10)).ok());
    ASSERT_TRUE(RequestLog(*db).Save(Request("r1", 5)).ok());
  }
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  auto network = NetworkStore(*db).Get("vlan.10");
  ASSERT_TRUE(network.ok()) << network.status();
  EXPECT_EQ(network->uuid, "uuid-vlan.10");
  EXPECT_EQ(network->vlan_id, 10u);
  auto request = RequestLog(*db).Find("r1");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_TRUE(request->has_value());
  EXPECT_EQ(**request, Request("r1", 5));
}

TEST_F(StoreTest, NetworkCrud) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  NetworkStore networks(*db);
  EXPECT_EQ(*networks.Count(), 0);
  ASSERT_TRUE(networks.Insert(Network("vlan.20", 20)).ok());
  ASSERT_TRUE(networks.Insert(Network("untagged", 0)).ok());
  ASSERT_TRUE(networks.Insert(Network("vlan.10", 10)).ok());

  auto got = networks.Get("vlan.10");
  ASSERT_TRUE(got.ok()) << got.status();
  NetworkRecord expected = Network("vlan.10", 10);
  expected.generation = 1;
  EXPECT_EQ(*got, expected);

  auto list = networks.List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "untagged");
  EXPECT_EQ((*list)[1].name, "vlan.10");
  EXPECT_EQ((*list)[2].name, "vlan.20");
  EXPECT_EQ(*networks.Count(), 3);

  const Status duplicate = networks.Insert(Network("vlan.10", 11));
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists) << duplicate;
  EXPECT_EQ(MessageOf(duplicate), "network 'vlan.10' already exists");
  NetworkRecord same_uuid = Network("vlan.30", 30);
  same_uuid.uuid = "uuid-vlan.10";
  const Status uuid_taken = networks.Insert(same_uuid);
  EXPECT_EQ(uuid_taken.code(), StatusCode::kAlreadyExists) << uuid_taken;
  EXPECT_NE(MessageOf(uuid_taken).find("networks.uuid"), std::string::npos) << uuid_taken;

  EXPECT_EQ(networks.Insert(Network("bad", 4095)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(networks.Insert(Network("", 1)).code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(networks.Delete("vlan.20").ok());
  const Status missing = networks.Get("vlan.20").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing;
  EXPECT_EQ(MessageOf(missing), "network 'vlan.20' does not exist");
  const Status delete_again = networks.Delete("vlan.20");
  EXPECT_EQ(delete_again.code(), StatusCode::kNotFound) << delete_again;
  EXPECT_NE(MessageOf(delete_again).find("'vlan.20'"), std::string::npos);
  EXPECT_EQ(*networks.Count(), 2);
}

TEST_F(StoreTest, UpdateChecksTheGeneration) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  NetworkStore networks(*db);
  ASSERT_TRUE(networks.Insert(Network("vlan.10", 10)).ok());

  NetworkRecord change = Network("vlan.10", 11);
  change.bridge = "br1";
  change.uuid = "ignored";
  ASSERT_TRUE(networks.Update(change, 1).ok());
  auto got = networks.Get("vlan.10");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->generation, 2);
  EXPECT_EQ(got->bridge, "br1");
  EXPECT_EQ(got->vlan_id, 11u);
  EXPECT_EQ(got->uuid, "uuid-vlan.10");

  const Status stale = networks.Update(Network("vlan.10", 12), 1);
  EXPECT_EQ(stale.code(), StatusCode::kAborted) << stale;
  EXPECT_EQ(MessageOf(stale),
            "network 'vlan.10' changed concurrently: generation is 2, expected 1");
  EXPECT_EQ(networks.Get("vlan.10")->vlan_id, 11u);
  EXPECT_EQ(networks.Update(Network("nope", 1), 1).code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, TransactionRollsBackWhenTheBodyFails) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  NetworkStore networks(*db);
  RequestLog requests(*db);
  const Status failed = db->Transaction([&]() -> Status {
    EXPECT_TRUE(db->InTransaction());
    HVAGENT_RETURN_IF_ERROR(networks.Insert(Network("vlan.10", 10)));
    HVAGENT_RETURN_IF_ERROR(requests.Save(Request("r1", 1)));
    return absl::DataLossError("body failed");
  });
  // The body's error comes back unchanged.
  EXPECT_EQ(failed, absl::DataLossError("body failed"));
  EXPECT_FALSE(db->InTransaction());
  EXPECT_EQ(*networks.Count(), 0);
  EXPECT_FALSE(requests.Find("r1")->has_value());

  // The same pair, committed: the mutation and its request record together.
  ASSERT_TRUE(db->Transaction([&]() -> Status {
                  HVAGENT_RETURN_IF_ERROR(networks.Insert(Network("vlan.10", 10)));
                  return requests.Save(Request("r1", 1));
                }).ok());
  EXPECT_EQ(*networks.Count(), 1);
  EXPECT_TRUE(requests.Find("r1")->has_value());
}

TEST_F(StoreTest, NestedTransactionUndoesOnlyItsOwnPart) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  NetworkStore networks(*db);
  const Status outer = db->Transaction([&]() -> Status {
    HVAGENT_RETURN_IF_ERROR(networks.Insert(Network("kept", 1)));
    const Status inner = db->Transaction([&]() -> Status {
      HVAGENT_RETURN_IF_ERROR(networks.Insert(Network("undone", 2)));
      return absl::AbortedError("inner failed");
    });
    EXPECT_EQ(inner.code(), StatusCode::kAborted);
    return absl::OkStatus();
  });
  ASSERT_TRUE(outer.ok()) << outer;
  EXPECT_TRUE(networks.Get("kept").ok());
  EXPECT_EQ(networks.Get("undone").status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, OtherThreadsDoNotSeeAnOpenTransaction) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  std::atomic<bool> inserted{false};
  std::thread writer([&] {
    NetworkStore networks(*db);
    const Status status = db->Transaction([&]() -> Status {
      HVAGENT_RETURN_IF_ERROR(networks.Insert(Network("vlan.10", 10)));
      inserted = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return absl::CancelledError("changed my mind");
    });
    EXPECT_EQ(status.code(), StatusCode::kCancelled);
  });
  while (!inserted) std::this_thread::yield();
  // Blocks until the writer's transaction is over, then sees its rollback.
  EXPECT_EQ(NetworkStore(*db).Get("vlan.10").status().code(), StatusCode::kNotFound);
  writer.join();
}

TEST_F(StoreTest, ConcurrentInsertsAllSucceed) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      NetworkStore networks(*db);
      for (int i = 0; i < kPerThread; ++i) {
        const Status status = networks.Insert(Network(fmt::format("t{}.n{}", t, i), 1));
        if (!status.ok()) {
          ++failures;
          ADD_FAILURE() << status;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*NetworkStore(*db).Count(), kThreads * kPerThread);
}

TEST_F(StoreTest, RequestLogRoundTripsBinaryResponses) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  RequestLog requests(*db);
  EXPECT_FALSE(requests.Find("r1")->has_value());

  RequestRecord record = Request("r1", 1700000000123);
  record.status_code = static_cast<int>(StatusCode::kFailedPrecondition);
  record.status_message = "bridge 'br9' does not exist";
  record.response = std::string("\0\x01\xff\0tail\0", 8);
  ASSERT_EQ(record.response.size(), 8u);
  ASSERT_TRUE(requests.Save(record).ok());
  auto found = requests.Find("r1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, record);
  EXPECT_EQ((*found)->response, record.response);

  RequestRecord empty = Request("r2", 1);
  empty.response.clear();
  ASSERT_TRUE(requests.Save(empty).ok());
  EXPECT_EQ((*requests.Find("r2"))->response, "");

  const Status duplicate = requests.Save(Request("r1", 2));
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists) << duplicate;
  EXPECT_NE(MessageOf(duplicate).find("'r1'"), std::string::npos);
  EXPECT_EQ((*requests.Find("r1"))->created_unix_ms, 1700000000123);
  EXPECT_EQ(requests.Save(Request("", 1)).code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, PruneDeletesByAgeThenByCount) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  RequestLog requests(*db);
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(requests.Save(Request(fmt::format("r{:02}", i), int64_t{i} * 100)).ok());
  }
  // r01..r03 are older than 350; of r04..r10, the 5 newest stay.
  auto pruned = requests.Prune(350, 5);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 5);
  for (int i = 1; i <= 10; ++i) {
    EXPECT_EQ(requests.Find(fmt::format("r{:02}", i))->has_value(), i >= 6) << i;
  }
  EXPECT_EQ(*requests.Prune(0, 100), 0);
  EXPECT_EQ(*requests.Prune(0, 0), 5);
  EXPECT_EQ(requests.Prune(0, -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(StoreTest, StatementBindsAndReads) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  auto select = db->Prepare("SELECT ?1, ?2, ?3, ?4");
  ASSERT_TRUE(select.ok()) << select.status();
  select->Bind(1, int64_t{-7}).Bind(2, "text").BindBlob(3, std::string("a\0b", 3)).BindNull(4);
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnCount(), 4);
  EXPECT_EQ(select->ColumnInt64(0), -7);
  EXPECT_EQ(select->ColumnText(1), "text");
  EXPECT_EQ(select->ColumnBlob(2), std::string("a\0b", 3));
  EXPECT_TRUE(select->IsNull(3));
  EXPECT_FALSE(*select->Step());
  select->Reset();
  ASSERT_TRUE(*select->Step());
  EXPECT_TRUE(select->IsNull(0));  // Reset cleared the bindings

  // A bad binding surfaces at the next Step.
  select->Reset();
  select->Bind(9, int64_t{1});
  EXPECT_EQ(select->Step().status().code(), StatusCode::kInternal);
}

TEST_F(StoreTest, PrepareRejectsBadSql) {
  auto db = OpenOrDie();
  ASSERT_NE(db, nullptr);
  const Status syntax = db->Prepare("SELEKT 1").status();
  EXPECT_EQ(syntax.code(), StatusCode::kInternal);
  EXPECT_NE(MessageOf(syntax).find("syntax error"), std::string::npos) << syntax;
  EXPECT_EQ(db->Prepare("SELECT 1; SELECT 2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db->Prepare("  ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(db->Prepare("SELECT 1;").ok());
}

TEST(SqliteErrorTest, MapsResultCodes) {
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_UNIQUE), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_PRIMARYKEY), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_CHECK), StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_BUSY), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_BUSY_SNAPSHOT), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_LOCKED), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_FULL), StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_NOTADB), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_IOERR_WRITE), StatusCode::kInternal);
  const Status error = SqliteError(nullptr, SQLITE_FULL, "write");
  EXPECT_EQ(error.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(MessageOf(error), "write: database or disk is full (sqlite error 13)");
}

}  // namespace
}  // namespace hvagent::store
