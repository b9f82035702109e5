// A table that holds one row (id = 1) or none, read and replaced whole: the
// store of one record type. Each record's header declares the Get and Put
// specialisations (its rules), and its .cc defines them (its SQL).
#pragma once

#include <optional>

#include "hvagent/common/status.h"
#include "hvagent/store/database.h"

namespace hvagent::store {

template <typename Record>
class SingleRowStore {
 public:
  // `db` must outlive this object.
  explicit SingleRowStore(Database& db) : db_(&db) {}

  // nullopt when no row is stored yet.
  StatusOr<std::optional<Record>> Get();
  // Replaces the row. INVALID_ARGUMENT, changing nothing, for a record that
  // breaks its type's rules.
  Status Put(const Record& record);

 private:
  Database* db_;
};

}  // namespace hvagent::store
