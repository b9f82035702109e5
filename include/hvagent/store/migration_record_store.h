// Migrations away from this host, one row each, written when one starts and
// at each change of its phase or state: an agent restarted mid-migration
// still knows which migrations it began and how far they got.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

struct MigrationRecord {
  std::string id;
  std::string vm_name;
  std::string destination;  // the destination's agent
  bool live = true;
  // "running", "succeeded", "failed" or "cancelled".
  std::string state = "running";
  std::string phase;
  // The result once ended: an absl::StatusCode number (0: OK) and message.
  int64_t error_code = 0;
  std::string error_message;
  int64_t data_total_bytes = 0;
  int64_t data_processed_bytes = 0;
  int64_t downtime_ms = 0;
  int64_t started_unix_ms = 0;
  int64_t updated_unix_ms = 0;

  friend bool operator==(const MigrationRecord&, const MigrationRecord&) = default;
};

class MigrationRecordStore {
 public:
  // `db` must outlive this object.
  explicit MigrationRecordStore(Database& db) : db_(&db) {}

  // Inserts or replaces the row for record.id. INVALID_ARGUMENT for an empty
  // id or an unknown state.
  Status Put(const MigrationRecord& record);
  // nullopt when no row has that id.
  StatusOr<std::optional<MigrationRecord>> Get(const std::string& id);
  // Deletes ended migrations last updated before `before_unix_ms`; running
  // ones stay whatever their age. Returns how many went.
  StatusOr<int64_t> PruneEnded(int64_t before_unix_ms);

 private:
  Database* db_;
};

}  // namespace hvagent::store
