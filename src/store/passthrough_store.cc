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
  upsert.BindAll(record.address, record.vendor_device,
                 record.intent == PassthroughRecord::Intent::kBound ? "bound" : "released",
                 int64_t{record.done ? 1 : 0}, record.updated_unix_ms);
  return Annotate(upsert.Run(), fmt::format("record passthrough device {}", record.address));
}

StatusOr<std::vector<PassthroughRecord>> PassthroughStore::List() {
  HVAGENT_ASSIGN_OR_RETURN(Statement select,
                           db_->Prepare("SELECT address, vendor_device, intent, done, "
                                        "updated_unix_ms FROM passthrough_devices ORDER BY "
                                        "address"));
  return select.ReadAll("list passthrough devices", [](const Statement& row) {
    return PassthroughRecord{
        .address = row.ColumnText(0),
        .vendor_device = row.ColumnText(1),
        .intent = row.ColumnText(2) == "bound" ? PassthroughRecord::Intent::kBound
                                               : PassthroughRecord::Intent::kReleased,
        .done = row.ColumnInt64(3) != 0,
        .updated_unix_ms = row.ColumnInt64(4),
    };
  });
}

}  // namespace hvagent::store
