// The cluster CPU baseline this host holds its domains to, in the local
// store: one row, or none while no baseline is set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/single_row_store.h"

namespace hvagent::store {

struct CpuBaselineRecord {
  // The baseline's CPU XML in the cpu module's one form (cpu::CpuXml).
  std::string cpu_xml;
  int64_t set_unix_ms = 0;

  friend bool operator==(const CpuBaselineRecord&, const CpuBaselineRecord&) = default;
};

// Get: nullopt when none is set. Put: INVALID_ARGUMENT for an empty cpu_xml.
using CpuBaselineStore = SingleRowStore<CpuBaselineRecord>;
template <>
StatusOr<std::optional<CpuBaselineRecord>> CpuBaselineStore::Get();
template <>
Status CpuBaselineStore::Put(const CpuBaselineRecord& record);

}  // namespace hvagent::store
