#include "hvagent/store/cpu_baseline_store.h"

namespace hvagent::store {

template <>
StatusOr<std::optional<CpuBaselineRecord>> CpuBaselineStore::Get() {
  return db_->ReadOne("get the CPU baseline", "SELECT cpu_xml, set_unix_ms FROM cpu_baseline",
                      [](const Statement& row) {
                        return CpuBaselineRecord{.cpu_xml = row.ColumnText(0),
                                                 .set_unix_ms = row.ColumnInt64(1)};
                      });
}

template <>
Status CpuBaselineStore::Put(const CpuBaselineRecord& record) {
  if (record.cpu_xml.empty()) {
    return absl::InvalidArgumentError("a CPU baseline needs its CPU XML");
  }
  return db_
      ->Write("store the CPU baseline",
              "INSERT INTO cpu_baseline (id, cpu_xml, set_unix_ms) VALUES (1, ?1, ?2) "
              "ON CONFLICT (id) DO UPDATE SET cpu_xml = ?1, set_unix_ms = ?2",
              record.cpu_xml, record.set_unix_ms)
      .status();
}

}  // namespace hvagent::store
