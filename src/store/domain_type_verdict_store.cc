#include "hvagent/store/domain_type_verdict_store.h"

namespace hvagent::store {

template <>
StatusOr<std::optional<DomainTypeVerdictRecord>> DomainTypeVerdictStore::Get() {
  return db_->ReadOne(
      "get the recorded domain type",
      "SELECT host_key, domain_type, reason, probed_unix_ms FROM domain_type_verdict",
      [](const Statement& row) {
        return DomainTypeVerdictRecord{.host_key = row.ColumnText(0),
                                       .domain_type = row.ColumnText(1),
                                       .reason = row.ColumnText(2),
                                       .probed_unix_ms = row.ColumnInt64(3)};
      });
}

template <>
Status DomainTypeVerdictStore::Put(const DomainTypeVerdictRecord& record) {
  if (record.host_key.empty()) {
    return absl::InvalidArgumentError("a domain type verdict needs the host key it was found on");
  }
  if (record.domain_type != "kvm" && record.domain_type != "qemu") {
    return absl::InvalidArgumentError(fmt::format(
        "a domain type verdict's domain_type '{}' must be kvm or qemu", record.domain_type));
  }
  return db_
      ->Write("record the domain type",
              "INSERT INTO domain_type_verdict (id, host_key, domain_type, reason, probed_unix_ms) "
              "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET host_key = ?1, "
              "domain_type = ?2, reason = ?3, probed_unix_ms = ?4",
              record.host_key, record.domain_type, record.reason, record.probed_unix_ms)
      .status();
}

}  // namespace hvagent::store
