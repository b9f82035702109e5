// Where MigrationManager keeps a durable record of each migration away from
// this host, so that an agent restarted mid-migration can still say how it
// ended. The daemon backs it with the local store; unit tests fake it.
#pragma once

#include <optional>
#include <string>

#include "hvagent/common/status.h"

namespace hvagent::compute {

struct MigrationStatus;

class MigrationJournal {
 public:
  virtual ~MigrationJournal() = default;
  // Inserts or replaces the record of status.id (the time of the write is
  // the record's own).
  virtual Status Record(const MigrationStatus& status) = 0;
  // nullopt when no migration has that id.
  virtual StatusOr<std::optional<MigrationStatus>> Find(const std::string& id) = 0;
};

}  // namespace hvagent::compute
