#include "hvagent/store/passthrough_store.h"

namespace hvagent::store {

Status PassthroughStore::Put(const PassthroughRecord& record) {
  if (record.address.empty()) {
    return absl::InvalidArgumentError("a passthrough record needs an address");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      Statement upsert,
      db_->Prepare("INSERT INTO passthrough_devices (address, vendor_device, intent, done, "
                   "updated_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (address) DO UPDATE "
                   "SET vendor_device = ?2, intent = ?3, done = ?4, updated_unix_ms = ?5"));
  upsert.Bind(1, record.address)
      .Bind(2, record.vendor_device)
      .Bind(3, record.intent == PassthroughRecord::Intent::kBound ? "bound" : "released")
      .Bind(4, int64_t{record.done ? 1 : 0})
      .Bind(5, record.updated_unix_ms);
  return Annotate(upsert.Run(), fmt::format("record passthrough device {}", record.address));
}

StatusOr<std::vector<PassthroughRecord>> PassthroughStore::List() {
  HVAGENT_ASSIGN_OR_RETURN(Statement select,
                           db_->Prepare("SELECT address, vendor_device, intent, done, "
                                        "updated_unix_ms FROM passthrough_devices ORDER BY "
                                        "address"));
  std::vector<PassthroughRecord> records;
  while (true) {
    StatusOr<bool> row = select.Step();
    if (!row.ok()) return Annotate(row.status(), "list passthrough devices");
    if (!*row) return records;
    records.push_back(PassthroughRecord{
        .address = select.ColumnText(0),
        .vendor_device = select.ColumnText(1),
        .intent = select.ColumnText(2) == "bound" ? PassthroughRecord::Intent::kBound
                                                  : PassthroughRecord::Intent::kReleased,
        .done = select.ColumnInt64(3) != 0,
        .updated_unix_ms = select.ColumnInt64(4),
    });
  }
}

}  // namespace hvagent::store
