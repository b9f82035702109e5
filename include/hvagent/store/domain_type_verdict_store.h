// The domain-type probe's last verdict in the local store: one row, or none
// before the first probe. It is kept with the host identity it was found on
// (an opaque text made by compute), so that a later start can tell whether
// it still holds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/single_row_store.h"

namespace hvagent::store {

struct DomainTypeVerdictRecord {
  std::string host_key;
  std::string domain_type;  // "kvm" or "qemu"
  std::string reason;       // the probe's one line
  int64_t probed_unix_ms = 0;

  friend bool operator==(const DomainTypeVerdictRecord&, const DomainTypeVerdictRecord&) = default;
};

// Get: nullopt when no probe has been recorded. Put: INVALID_ARGUMENT for an
// empty host_key or a domain_type other than kvm or qemu.
using DomainTypeVerdictStore = SingleRowStore<DomainTypeVerdictRecord>;
template <>
StatusOr<std::optional<DomainTypeVerdictRecord>> DomainTypeVerdictStore::Get();
template <>
Status DomainTypeVerdictStore::Put(const DomainTypeVerdictRecord& record);

}  // namespace hvagent::store
