// PCI endpoints the agent hands to vfio-pci, one row each: what it intends
// (bound or released) and whether that is done. Written before each step of
// binding, so a restarted agent can finish what a killed one began.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

struct PassthroughRecord {
  enum class Intent { kBound, kReleased };
  std::string address;        // "0000:3b:00.0"
  std::string vendor_device;  // "1000:0097"
  Intent intent = Intent::kBound;
  bool done = false;
  int64_t updated_unix_ms = 0;
};

class PassthroughStore {
 public:
  // `db` must outlive this object.
  explicit PassthroughStore(Database& db) : db_(&db) {}

  // Inserts or replaces the row for record.address.
  Status Put(const PassthroughRecord& record);
  // Every row, by address.
  StatusOr<std::vector<PassthroughRecord>> List();
  Database& database() { return *db_; }

 private:
  Database* db_;
};

}  // namespace hvagent::store
