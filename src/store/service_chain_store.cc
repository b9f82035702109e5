#include "hvagent/store/service_chain_store.h"

namespace hvagent::store {

namespace {

constexpr std::string_view kSelectChains =
    "SELECT name, uuid, cookie_id, spec_json, created_unix_ms, generation FROM service_chains";

ServiceChainRecord ReadChain(const Statement& row) {
  return {.name = row.ColumnText(0),
          .uuid = row.ColumnText(1),
          .cookie_id = static_cast<uint64_t>(row.ColumnInt64(2)),
          .spec_json = row.ColumnText(3),
          .created_unix_ms = row.ColumnInt64(4),
          .generation = row.ColumnInt64(5)};
}

Status NotFound(std::string_view name) {
  return absl::NotFoundError(fmt::format("service chain '{}' does not exist", name));
}

}  // namespace

Status ServiceChainStore::Insert(const ServiceChainRecord& chain) {
  if (chain.name.empty() || chain.cookie_id == 0) {
    return absl::InvalidArgumentError("a service chain needs a name and a cookie id");
  }
  HVAGENT_ASSIGN_OR_RETURN(
      Statement insert,
      db_->Prepare("INSERT INTO service_chains (name, uuid, cookie_id, spec_json, created_unix_ms, "
                   "generation) VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (name) DO NOTHING"));
  insert.Bind(1, chain.name)
      .Bind(2, chain.uuid)
      .Bind(3, static_cast<int64_t>(chain.cookie_id))
      .Bind(4, chain.spec_json)
      .Bind(5, chain.created_unix_ms);
  HVAGENT_RETURN_IF_ERROR(
      Annotate(insert.Run(), fmt::format("insert service chain '{}'", chain.name)));
  if (insert.Changes() == 0) {
    return absl::AlreadyExistsError(fmt::format("service chain '{}' already exists", chain.name));
  }
  return absl::OkStatus();
}

StatusOr<ServiceChainRecord> ServiceChainStore::Get(std::string_view name) {
  HVAGENT_ASSIGN_OR_RETURN(Statement select,
                           db_->Prepare(fmt::format("{} WHERE name = ?1", kSelectChains)));
  select.Bind(1, name);
  StatusOr<bool> row = select.Step();
  if (!row.ok()) return Annotate(row.status(), fmt::format("get service chain '{}'", name));
  if (!*row) return NotFound(name);
  return ReadChain(select);
}

StatusOr<std::vector<ServiceChainRecord>> ServiceChainStore::List() {
  HVAGENT_ASSIGN_OR_RETURN(Statement select,
                           db_->Prepare(fmt::format("{} ORDER BY name", kSelectChains)));
  std::vector<ServiceChainRecord> chains;
  while (true) {
    StatusOr<bool> row = select.Step();
    if (!row.ok()) return Annotate(row.status(), "list service chains");
    if (!*row) return chains;
    chains.push_back(ReadChain(select));
  }
}

Status ServiceChainStore::Update(std::string_view name, const std::string& spec_json,
                                 int64_t expected_generation) {
  HVAGENT_ASSIGN_OR_RETURN(const ServiceChainRecord current, Get(name));
  if (current.generation != expected_generation) {
    return absl::AbortedError(fmt::format(
        "expected_generation: service chain '{}' is at generation {}, not {}; read it again", name,
        current.generation, expected_generation));
  }
  HVAGENT_ASSIGN_OR_RETURN(
      Statement update,
      db_->Prepare("UPDATE service_chains SET spec_json = ?2, generation = generation + 1 "
                   "WHERE name = ?1 AND generation = ?3"));
  update.Bind(1, name).Bind(2, spec_json).Bind(3, expected_generation);
  HVAGENT_RETURN_IF_ERROR(Annotate(update.Run(), fmt::format("update service chain '{}'", name)));
  if (update.Changes() == 0) {
    return absl::AbortedError(fmt::format("service chain '{}' changed meanwhile", name));
  }
  return absl::OkStatus();
}

Status ServiceChainStore::Delete(std::string_view name) {
  HVAGENT_ASSIGN_OR_RETURN(Statement remove,
                           db_->Prepare("DELETE FROM service_chains WHERE name = ?1"));
  remove.Bind(1, name);
  HVAGENT_RETURN_IF_ERROR(Annotate(remove.Run(), fmt::format("delete service chain '{}'", name)));
  if (remove.Changes() == 0) return NotFound(name);
  return absl::OkStatus();
}

}  // namespace hvagent::store
