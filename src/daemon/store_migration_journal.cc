#include "hvagent/daemon/store_migration_journal.h"

#include <array>

#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {
using Clock = std::chrono::system_clock;

int64_t UnixMs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

store::MigrationRecord StoreMigrationJournal::RecordOf(const compute::MigrationStatus& status,
                                                       Clock::time_point now) {
  return store::MigrationRecord{
      .id = status.id,
      .vm_name = status.vm_name,
      .destination = status.destination,
      .live = status.live,
      .state = std::string(OperationStateName(status.state)),
      .phase = status.phase,
      .error_code = static_cast<int64_t>(status.result.code()),
      .error_message = std::string(status.result.message()),
      .data_total_bytes = static_cast<int64_t>(status.data_total_bytes),
      .data_processed_bytes = static_cast<int64_t>(status.data_processed_bytes),
      .downtime_ms = static_cast<int64_t>(status.downtime_ms),
      .started_unix_ms = UnixMs(status.started),
      .updated_unix_ms = UnixMs(now),
  };
}

StatusOr<compute::MigrationStatus> StoreMigrationJournal::StatusOf(
    const store::MigrationRecord& record) {
  constexpr std::array kStates = {OperationState::kRunning, OperationState::kSucceeded,
                                  OperationState::kFailed, OperationState::kCancelled};
  std::optional<OperationState> state;
  for (OperationState s : kStates) {
    if (OperationStateName(s) == record.state) state = s;
  }
  if (!state) {
    return absl::DataLossError(
        fmt::format("migration {}: stored state '{}' is unknown", record.id, record.state));
  }
  const auto total = static_cast<uint64_t>(record.data_total_bytes);
  const auto processed = static_cast<uint64_t>(record.data_processed_bytes);
  return compute::MigrationStatus{
      .id = record.id,
      .vm_name = record.vm_name,
      .destination = record.destination,
      .live = record.live,
      .state = *state,
      .phase = record.phase,
      .data_total_bytes = total,
      .data_remaining_bytes = total > processed ? total - processed : 0,
      .data_processed_bytes = processed,
      .downtime_ms = static_cast<uint64_t>(record.downtime_ms),
      .result = Status(static_cast<absl::StatusCode>(record.error_code), record.error_message),
      .started = Clock::time_point(std::chrono::milliseconds(record.started_unix_ms)),
  };
}

Status StoreMigrationJournal::Record(const compute::MigrationStatus& status) {
  const Clock::time_point now = Clock::now();
  HVAGENT_RETURN_IF_ERROR(records_.Put(RecordOf(status, now)));
  if (status.state != OperationState::kRunning) {
    // Pruning is housekeeping: its failure does not fail the record.
    if (auto pruned = records_.PruneEnded(UnixMs(now - keep_ended_)); !pruned.ok()) {
      spdlog::warn("pruning old migration records: {}", pruned.status());
    }
  }
  return absl::OkStatus();
}

StatusOr<std::optional<compute::MigrationStatus>> StoreMigrationJournal::Find(
    const std::string& id) {
  HVAGENT_ASSIGN_OR_RETURN(std::optional<store::MigrationRecord> record, records_.Get(id));
  if (!record) return std::optional<compute::MigrationStatus>();
  HVAGENT_ASSIGN_OR_RETURN(compute::MigrationStatus status, StatusOf(*record));
  return std::optional<compute::MigrationStatus>(std::move(status));
}

}  // namespace hvagent::daemon
