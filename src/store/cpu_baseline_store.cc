#include "hvagent/store/cpu_baseline_store.h"

namespace hvagent::store {

StatusOr<std::optional<CpuBaselineRecord>> CpuBaselineStore::Get() {
  HVAGENT_ASSIGN_OR_RETURN(Statement select,
                           db_->Prepare("SELECT cpu_xml, set_unix_ms FROM cpu_baseline"));
  return select.ReadOne("get the CPU baseline", [](const Statement& row) {
    return CpuBaselineRecord{.cpu_xml = row.ColumnText(0), .set_unix_ms = row.ColumnInt64(1)};
  });
}

Status CpuBaselineStore::Put(const CpuBaselineRecord& record) {
  if (record.cpu_xml.empty()) {
    return absl::InvalidArgumentError("a CPU baseline needs its CPU XML");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      Statement upsert,
      db_->Prepare("INSERT INTO cpu_baseline (id, cpu_xml, set_unix_ms) VALUES (1, ?1, ?2) "
                   "ON CONFLICT (id) DO UPDATE SET cpu_xml = ?1, set_unix_ms = ?2"));
  upsert.BindAll(record.cpu_xml, record.set_unix_ms);
  return Annotate(upsert.Run(), "store the CPU baseline");
}

}  // namespace hvagent::store
