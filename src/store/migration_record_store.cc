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
  HVAGENT_ASSIGN_OR_RETURN(
      Statement upsert,
      db_->Prepare("INSERT INTO migrations (id, vm_name, destination, live, state, phase, "
                   "error_code, error_message, data_total_bytes, data_processed_bytes, "
                   "downtime_ms, started_unix_ms, updated_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5, "
                   "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO UPDATE SET vm_name = "
                   "?2, destination = ?3, live = ?4, state = ?5, phase = ?6, error_code = ?7, "
                   "error_message = ?8, data_total_bytes = ?9, data_processed_bytes = ?10, "
                   "downtime_ms = ?11, started_unix_ms = ?12, updated_unix_ms = ?13"));
  upsert.Bind(1, record.id)
      .Bind(2, record.vm_name)
      .Bind(3, record.destination)
      .Bind(4, int64_t{record.live ? 1 : 0})
      .Bind(5, record.state)
      .Bind(6, record.phase)
      .Bind(7, record.error_code)
      .Bind(8, record.error_message)
      .Bind(9, record.data_total_bytes)
      .Bind(10, record.data_processed_bytes)
      .Bind(11, record.downtime_ms)
      .Bind(12, record.started_unix_ms)
      .Bind(13, record.updated_unix_ms);
  return Annotate(upsert.Run(), fmt::format("record migration {}", record.id));
}

StatusOr<std::optional<MigrationRecord>> MigrationRecordStore::Get(const std::string& id) {
  HVAGENT_ASSIGN_OR_RETURN(
      Statement select,
      db_->Prepare("SELECT id, vm_name, destination, live, state, phase, error_code, "
                   "error_message, data_total_bytes, data_processed_bytes, downtime_ms, "
                   "started_unix_ms, updated_unix_ms FROM migrations WHERE id = ?1"));
  select.Bind(1, id);
  StatusOr<bool> row = select.Step();
  if (!row.ok()) return Annotate(row.status(), fmt::format("get migration {}", id));
  if (!*row) return std::optional<MigrationRecord>();
  return std::optional<MigrationRecord>(MigrationRecord{
      .id = select.ColumnText(0),
      .vm_name = select.ColumnText(1),
      .destination = select.ColumnText(2),
      .live = select.ColumnInt64(3) != 0,
      .state = select.ColumnText(4),
      .phase = select.ColumnText(5),
      .error_code = select.ColumnInt64(6),
      .error_message = select.ColumnText(7),
      .data_total_bytes = select.ColumnInt64(8),
      .data_processed_bytes = select.ColumnInt64(9),
      .downtime_ms = select.ColumnInt64(10),
      .started_unix_ms = select.ColumnInt64(11),
      .updated_unix_ms = select.ColumnInt64(12),
  });
}

StatusOr<int64_t> MigrationRecordStore::PruneEnded(int64_t before_unix_ms) {
  HVAGENT_ASSIGN_OR_RETURN(
      Statement prune,
      db_->Prepare("DELETE FROM migrations WHERE state <> 'running' AND updated_unix_ms < ?1"));
  prune.Bind(1, before_unix_ms);
  HVAGENT_RETURN_IF_ERROR(Annotate(prune.Run(), "prune migrations"));
  return prune.Changes();
}

}  // namespace hvagent::store
