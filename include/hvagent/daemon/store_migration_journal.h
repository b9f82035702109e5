// MigrationManager's journal in the local store: one migrations row each,
// ended ones pruned a week after they ended.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "hvagent/compute/migration_journal.h"
#include "hvagent/compute/migration_manager.h"
#include "hvagent/store/migration_record_store.h"

namespace hvagent::daemon {

class StoreMigrationJournal final : public compute::MigrationJournal {
 public:
  // `records` must outlive this object.
  explicit StoreMigrationJournal(store::MigrationRecordStore& records,
                                 std::chrono::hours keep_ended = std::chrono::hours(24 * 7))
      : records_(records), keep_ended_(keep_ended) {}

  Status Record(const compute::MigrationStatus& status) override;
  StatusOr<std::optional<compute::MigrationStatus>> Find(const std::string& id) override;

  // The row for `status`, written at `now`; and back (the inverse but for
  // the write's time).
  static store::MigrationRecord RecordOf(const compute::MigrationStatus& status,
                                         std::chrono::system_clock::time_point now);
  static StatusOr<compute::MigrationStatus> StatusOf(const store::MigrationRecord& record);

 private:
  store::MigrationRecordStore& records_;
  const std::chrono::hours keep_ended_;
};

}  // namespace hvagent::daemon
