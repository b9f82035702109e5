#include "hvagent/store/network_store.h"

#include "named_rows.h"

namespace hvagent::store {

namespace {

NetworkRecord ReadNetwork(const Statement& row) {
  return NetworkRecord{
      .name = row.ColumnText(0),
      .uuid = row.ColumnText(1),
      .bridge = row.ColumnText(2),
      .vlan_id = static_cast<uint32_t>(row.ColumnInt64(3)),
      .created_unix_ms = row.ColumnInt64(4),
      .generation = row.ColumnInt64(5),
  };
}

// The schema checks these too; checking here gives the caller a clear error.
Status Validate(const NetworkRecord& network) {
  if (network.name.empty()) {
    return absl::InvalidArgumentError("a network needs a name");
  }
  if (network.vlan_id > kMaxVlanId) {
    return absl::InvalidArgumentError(fmt::format("network '{}': VLAN id {} is not in 0..{}",
                                                  network.name, network.vlan_id, kMaxVlanId));
  }
  return absl::OkStatus();
}

constexpr NamedRows<NetworkRecord> kNetworks{
    .kind = "network",
    .table = "networks",
    .select = "SELECT name, uuid, bridge, vlan_id, created_unix_ms, generation FROM networks",
    .read = ReadNetwork};

}  // namespace

Status NetworkStore::Insert(const NetworkRecord& network) {
  HVAGENT_RETURN_IF_ERROR(Validate(network));
  // A taken name is the expected conflict: detect it without an error, and
  // leave the uuid's UNIQUE constraint to report the unexpected one.
  HVAGENT_ASSIGN_OR_RETURN(
      const int64_t inserted,
      db_->Write(fmt::format("insert network '{}'", network.name),
                 "INSERT INTO networks (name, uuid, bridge, vlan_id, created_unix_ms, generation) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT (name) DO NOTHING",
                 network.name, network.uuid, network.bridge, int64_t{network.vlan_id},
                 network.created_unix_ms));
  return kNetworks.CheckInserted(inserted, network.name);
}

StatusOr<NetworkRecord> NetworkStore::Get(std::string_view name) {
  return kNetworks.Get(*db_, name);
}

StatusOr<std::vector<NetworkRecord>> NetworkStore::List() { return kNetworks.List(*db_); }

Status NetworkStore::Delete(std::string_view name) { return kNetworks.Delete(*db_, name); }

Status NetworkStore::Update(const NetworkRecord& network, int64_t expected_generation) {
  HVAGENT_RETURN_IF_ERROR(Validate(network));
  // Read and write in one transaction, so the generation checked is the one replaced.
  return db_->Transaction([&]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const NetworkRecord current, Get(network.name));
    if (current.generation != expected_generation) {
      return absl::AbortedError(
          fmt::format("network '{}' changed concurrently: generation is {}, expected {}",
                      network.name, current.generation, expected_generation));
    }
    return db_
        ->Write(fmt::format("update network '{}'", network.name),
                "UPDATE networks SET bridge = ?2, vlan_id = ?3, generation = generation + 1 "
                "WHERE name = ?1",
                network.name, network.bridge, int64_t{network.vlan_id})
        .status();
  });
}

StatusOr<int64_t> NetworkStore::Count() {
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<int64_t> rows,
                           db_->ReadOne("count networks", "SELECT COUNT(*) FROM networks",
                                        [](const Statement& row) { return row.ColumnInt64(0); }));
  return rows.value_or(0);
}

}  // namespace hvagent::store
