// The daemon's MigrationManager journal over a real store: what is recorded
// comes back as it was (state, error, totals, times), and ended records are
// pruned once old while running ones stay.
#include "hvagent/daemon/store_migration_journal.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "hvagent/store/database.h"
#include "hvagent_test/database.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::daemon {
namespace {

using Clock = std::chrono::system_clock;

class StoreMigrationJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(db_, nullptr);
    records_ = std::make_unique<store::MigrationRecordStore>(*db_);
  }

  hvagent::testing::TempDir dir_{"store-migration-journal-test"};
  std::unique_ptr<store::Database> db_ =
      hvagent::testing::OpenDatabaseOrFail((dir_ / "agent.db").string());
  std::unique_ptr<store::MigrationRecordStore> records_;
};

TEST_F(StoreMigrationJournalTest, WhatIsRecordedComesBack) {
  StoreMigrationJournal journal(*records_);
  const auto started = Clock::time_point(std::chrono::milliseconds(1700000000123));
  const compute::MigrationStatus failed{
      .id = "m1",
      .vm_name = "web",
      .destination = "host2:7443",
      .live = false,
      .state = OperationState::kFailed,
      .phase = "migrating",
      .data_total_bytes = 300,
      .data_remaining_bytes = 200,
      .data_processed_bytes = 100,
      .downtime_ms = 42,
      .result = absl::UnavailableError("VM 'web' stays on the source: unable to connect"),
      .started = started};
  ASSERT_TRUE(journal.Record(failed).ok());
  auto found = journal.Find("m1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  const compute::MigrationStatus& got = **found;
  EXPECT_EQ(got.id, "m1");
  EXPECT_EQ(got.vm_name, "web");
  EXPECT_EQ(got.destination, "host2:7443");
  EXPECT_FALSE(got.live);
  EXPECT_EQ(got.state, OperationState::kFailed);
  EXPECT_EQ(got.phase, "migrating");
  EXPECT_EQ(got.data_total_bytes, 300u);
  EXPECT_EQ(got.data_processed_bytes, 100u);
  EXPECT_EQ(got.data_remaining_bytes, 200u);
  EXPECT_EQ(got.downtime_ms, 42u);
  EXPECT_EQ(got.result, failed.result);
  EXPECT_EQ(got.started, started);
  const auto row = records_->Get("m1");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->state, "failed");
  EXPECT_GE((*row)->updated_unix_ms, 1700000000123);

  EXPECT_FALSE(journal.Find("nope")->has_value());
}

TEST_F(StoreMigrationJournalTest, AnEndedRecordPrunesOldEndedOnesOnly) {
  const auto long_ago = Clock::now() - std::chrono::hours(24 * 30);
  auto old_ended = StoreMigrationJournal::RecordOf(
      {.id = "old", .vm_name = "a", .state = OperationState::kSucceeded}, long_ago);
  auto old_running = StoreMigrationJournal::RecordOf(
      {.id = "stuck", .vm_name = "b", .state = OperationState::kRunning}, long_ago);
  ASSERT_TRUE(records_->Put(old_ended).ok());
  ASSERT_TRUE(records_->Put(old_running).ok());
  StoreMigrationJournal journal(*records_);
  ASSERT_TRUE(
      journal.Record({.id = "new", .vm_name = "c", .state = OperationState::kRunning}).ok());
  EXPECT_TRUE(journal.Find("old")->has_value());  // a running record prunes nothing
  ASSERT_TRUE(
      journal.Record({.id = "new", .vm_name = "c", .state = OperationState::kCancelled}).ok());
  EXPECT_FALSE(journal.Find("old")->has_value());
  EXPECT_TRUE(journal.Find("stuck")->has_value());
  EXPECT_EQ((*journal.Find("new"))->state, OperationState::kCancelled);
}

TEST_F(StoreMigrationJournalTest, UnknownStoredStateIsDataLoss) {
  const store::MigrationRecord row{.id = "m1", .state = "teleported"};
  auto status = StoreMigrationJournal::StatusOf(row);
  EXPECT_EQ(status.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hvagent::daemon
