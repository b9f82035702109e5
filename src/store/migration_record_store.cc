#include "hvagent/store/migration_record_store.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace hvagent::store {

namespace {
constexpr std::array<std::string_view, 4> kStates = {"running", "succeeded", "failed", "cancelled"};
}  // namespace

Status MigrationRecordStore::Put(const MigrationRecord& record) {
  if (record.id.empty()) return absl::InvalidArgumentError("a migration record needs an id");
  if (std::find(kStates.begin(), kStates.end(), record.state) == kStates.end()) {
    return absl::InvalidArgumentError(
        fmt::format("migration {}: state '{}' is none of running, succeeded, failed, cancelled",
                    record.id, record.state));
  }
  return db_
      ->Write(fmt::format("record migration {}", record.id),
              "INSERT INTO migrations (id, vm_name, destination, live, state, phase, error_code, "
              "error_message, data_total_bytes, data_processed_bytes, downtime_ms, "
              "started_unix_ms, updated_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
              "?10, ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET vm_name = ?2, destination = "
              "?3, live = ?4, state = ?5, phase = ?6, error_code = ?7, error_message = ?8, "
              "data_total_bytes = ?9, data_processed_bytes = ?10, downtime_ms = ?11, "
              "started_unix_ms = ?12, updated_unix_ms = ?13",
              record.id, record.vm_name, record.destination, int64_t{record.live ? 1 : 0},
              record.state, record.phase, record.error_code, record.error_message,
              record.data_total_bytes, record.data_processed_bytes, record.downtime_ms,
              record.started_unix_ms, record.updated_unix_ms)
      .status();
}

StatusOr<std::optional<MigrationRecord>> MigrationRecordStore::Get(const std::string& id) {
  return db_->ReadOne(
      fmt::format("get migration {}", id),
      "SELECT id, vm_name, destination, live, state, phase, error_code, error_message, "
      "data_total_bytes, data_processed_bytes, downtime_ms, started_unix_ms, updated_unix_ms "
      "FROM migrations WHERE id = ?1",
      [](const Statement& row) {
        return MigrationRecord{
            .id = row.ColumnText(0),
            .vm_name = row.ColumnText(1),
            .destination = row.ColumnText(2),
            .live = row.ColumnInt64(3) != 0,
            .state = row.ColumnText(4),
            .phase = row.ColumnText(5),
            .error_code = row.ColumnInt64(6),
            .error_message = row.ColumnText(7),
            .data_total_bytes = row.ColumnInt64(8),
            .data_processed_bytes = row.ColumnInt64(9),
            .downtime_ms = row.ColumnInt64(10),
            .started_unix_ms = row.ColumnInt64(11),
            .updated_unix_ms = row.ColumnInt64(12),
        };
      },
      id);
}

StatusOr<int64_t> MigrationRecordStore::PruneEnded(int64_t before_unix_ms) {
  return db_->Write("prune migrations",
                    "DELETE FROM migrations WHERE state <> 'running' AND updated_unix_ms < ?1",
                    before_unix_ms);
}

}  // namespace hvagent::store
