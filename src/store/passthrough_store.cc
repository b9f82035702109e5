#include "hvagent/store/passthrough_store.h"

namespace hvagent::store {

Status PassthroughStore::Put(const PassthroughRecord& record) {
  if (record.address.empty()) {
    return absl::InvalidArgumentError("a passthrough record needs an address");
  }
  return db_
      ->Write(fmt::format("record passthrough device {}", record.address),
              "INSERT INTO passthrough_devices (address, vendor_device, intent, done, "
              "updated_unix_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (address) DO UPDATE "
              "SET vendor_device = ?2, intent = ?3, done = ?4, updated_unix_ms = ?5",
              record.address, record.vendor_device,
              record.intent == PassthroughRecord::Intent::kBound ? "bound" : "released",
              int64_t{record.done ? 1 : 0}, record.updated_unix_ms)
      .status();
}

StatusOr<std::vector<PassthroughRecord>> PassthroughStore::List() {
  return db_->ReadAll(
      "list passthrough devices",
      "SELECT address, vendor_device, intent, done, updated_unix_ms FROM passthrough_devices "
      "ORDER BY address",
      [](const Statement& row) {
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
