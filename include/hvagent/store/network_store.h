// Networks (named VLANs on a bridge) in the local store. Every method is
// atomic and joins the calling thread's open Database::Transaction, if any.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"
#include "hvagent/store/network_record.h"

namespace hvagent::store {

class NetworkStore {
 public:
  // `db` must outlive this object.
  explicit NetworkStore(Database& db) : db_(&db) {}

  // Stores `network` with generation 1 (network.generation is ignored).
  // ALREADY_EXISTS if the name (or the uuid) is taken; INVALID_ARGUMENT for an
  // empty name or a VLAN id above kMaxVlanId.
  Status Insert(const NetworkRecord& network);
  // NOT_FOUND "network 'x' does not exist".
  StatusOr<NetworkRecord> Get(std::string_view name);
  // Every network, ordered by name.
  StatusOr<std::vector<NetworkRecord>> List();
  // NOT_FOUND if there is no such network.
  Status Delete(std::string_view name);
  // Replaces the bridge and VLAN id of the network named network.name (its
  // uuid and creation time never change) and bumps its generation, if that is
  // still `expected_generation`; else ABORTED, so the caller re-reads.
  Status Update(const NetworkRecord& network, int64_t expected_generation);
  StatusOr<int64_t> Count();

 private:
  Database* db_;
};

}  // namespace hvagent::store
