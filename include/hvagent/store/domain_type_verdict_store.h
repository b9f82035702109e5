// The domain-type probe's last verdict in the local store: one row, or none
// before the first probe. It is kept with the host identity it was found on
// (an opaque text made by compute), so that a later start can tell whether
// it still holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

struct DomainTypeVerdictRecord {
  std::string host_key;
  std::string domain_type;  // "kvm" or "qemu"
  std::string reason;       // the probe's one line
  int64_t probed_unix_ms = 0;

  friend bool operator==(const DomainTypeVerdictRecord&, const DomainTypeVerdictRecord&) = default;
};

class DomainTypeVerdictStore {
 public:
  // `db` must outlive this object.
  explicit DomainTypeVerdictStore(Database& db) : db_(&db) {}

  // nullopt when no probe has been recorded.
  StatusOr<std::optional<DomainTypeVerdictRecord>> Get();
  // Replaces the verdict. INVALID_ARGUMENT for an empty host_key or a
  // domain_type other than kvm or qemu.
  Status Put(const DomainTypeVerdictRecord& record);

 private:
  Database* db_;
};

}  // namespace hvagent::store
