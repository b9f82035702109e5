// Service chains in the local store: the chain as the API describes it
// (processors, coverage, failure policy: JSON the store does not read), and
// the cookie id its flows carry, fixed at create. Every method is atomic and
// joins the calling thread's open Database::Transaction, if any.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

struct ServiceChainRecord {
  std::string name;  // the key
  std::string uuid;
  uint64_t cookie_id = 0;  // 1 .. 2^48-1, unique
  std::string spec_json;
  int64_t created_unix_ms = 0;
  int64_t generation = 0;  // 1 on insert, +1 on every update

  bool operator==(const ServiceChainRecord&) const = default;
};

class ServiceChainStore {
 public:
  explicit ServiceChainStore(Database& db) : db_(&db) {}

  // Stores `chain` with generation 1. ALREADY_EXISTS if the name is taken.
  Status Insert(const ServiceChainRecord& chain);
  // NOT_FOUND "service chain 'x' does not exist".
  StatusOr<ServiceChainRecord> Get(std::string_view name);
  // Every chain, ordered by name.
  StatusOr<std::vector<ServiceChainRecord>> List();
  // Replaces spec_json and bumps the generation if it still is
  // `expected_generation`; else ABORTED. NOT_FOUND if there is no such chain.
  Status Update(std::string_view name, const std::string& spec_json, int64_t expected_generation);
  // NOT_FOUND if there is no such chain.
  Status Delete(std::string_view name);

 private:
  Database* db_;
};

}  // namespace hvagent::store
