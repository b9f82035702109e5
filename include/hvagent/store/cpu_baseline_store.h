// The cluster CPU baseline this host holds its domains to, in the local
// store: one row, or none while no baseline is set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

struct CpuBaselineRecord {
  // The baseline's CPU XML in the cpu module's one form (cpu::CpuXml).
  std::string cpu_xml;
  int64_t set_unix_ms = 0;

  friend bool operator==(const CpuBaselineRecord&, const CpuBaselineRecord&) = default;
};

class CpuBaselineStore {
 public:
  // `db` must outlive this object.
  explicit CpuBaselineStore(Database& db) : db_(&db) {}

  // nullopt when none is set.
  StatusOr<std::optional<CpuBaselineRecord>> Get();
  // Replaces the baseline. INVALID_ARGUMENT for an empty cpu_xml.
  Status Put(const CpuBaselineRecord& record);

 private:
  Database* db_;
};

}  // namespace hvagent::store
