#include "hvagent/store/service_chain_store.h"

#include "named_rows.h"

namespace hvagent::store {

namespace {

ServiceChainRecord ReadChain(const Statement& row) {
  return {.name = row.ColumnText(0),
          .uuid = row.ColumnText(1),
          .cookie_id = static_cast<uint64_t>(row.ColumnInt64(2)),
          .spec_json = row.ColumnText(3),
          .created_unix_ms = row.ColumnInt64(4),
          .generation = row.ColumnInt64(5)};
}

constexpr NamedRows<ServiceChainRecord> kChains{
    .kind = "service chain",
    .table = "service_chains",
    .select =
        "SELECT name, uuid, cookie_id, spec_json, created_unix_ms, generation FROM service_chains",
    .read = ReadChain};

}  // namespace

Status ServiceChainStore::Insert(const ServiceChainRecord& chain) {
  if (chain.name.empty() || chain.cookie_id == 0) {
    return absl::InvalidArgumentError("a service chain needs a name and a cookie id");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t inserted,
      db_->Write(fmt::format("insert service chain '{}'", chain.name),
                 "INSERT INTO service_chains (name, uuid, cookie_id, spec_json, created_unix_ms, "
                 "generation) VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (name) DO NOTHING",
                 chain.name, chain.uuid, static_cast<int64_t>(chain.cookie_id), chain.spec_json,
                 chain.created_unix_ms));
  return kChains.CheckInserted(inserted, chain.name);
}

StatusOr<ServiceChainRecord> ServiceChainStore::Get(std::string_view name) {
  return kChains.Get(*db_, name);
}

StatusOr<std::vector<ServiceChainRecord>> ServiceChainStore::List() { return kChains.List(*db_); }

Status ServiceChainStore::Update(std::string_view name, const std::string& spec_json,
                                 int64_t expected_generation) {
  HVAGENT_ASSIGN_OR_RETURN(const ServiceChainRecord current, Get(name));
  if (current.generation != expected_generation) {
    return absl::AbortedError(fmt::format(
        "expected_generation: service chain '{}' is at generation {}, not {}; read it again", name,
        current.generation, expected_generation));
  }
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t updated,
      db_->Write(fmt::format("update service chain '{}'", name),
                 "UPDATE service_chains SET spec_json = ?2, generation = generation + 1 "
                 "WHERE name = ?1 AND generation = ?3",
                 name, spec_json, expected_generation));
  if (updated == 0) {
    return absl::AbortedError(fmt::format("service chain '{}' changed meanwhile", name));
  }
  return absl::OkStatus();
}

Status ServiceChainStore::Delete(std::string_view name) { return kChains.Delete(*db_, name); }

}  // namespace hvagent::store
