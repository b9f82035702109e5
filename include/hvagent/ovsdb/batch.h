// Coalescing several callers' transactions into one OVSDB "transact", and
// splitting the reply back: pure, so the rules are unit-tested.
// - Each member's uuid-names get a per-member prefix, so two callers that both
//   name a row "port" cannot collide or reference each other's rows.
// - A transaction that changes something ends with next_cfg += 1 and a select of
//   next_cfg, so the caller can wait until ovs-vswitchd applied it (cur_cfg).
// - OVSDB is atomic: when a merged transaction fails nothing is committed; the
//   reply says which member's operation failed (if any), so only that member
//   gets the error and the others are run again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

// Prefixes every "uuid-name" and every ["named-uuid", name] reference.
nlohmann::json RenameUuidNames(const nlohmann::json& operations, const std::string& prefix);

// Whether any operation can change the database (insert, update, mutate, delete).
bool ChangesDatabase(const nlohmann::json& operations);

// Whether the operations must not share a transaction: a "wait" with a
// non-zero timeout would hold every other member until it is satisfied.
bool MustRunAlone(const nlohmann::json& operations);

// The operations that bump Open_vSwitch.next_cfg and read its new value back.
nlohmann::json NextCfgBumpOperations();

struct Batch {
  struct Member {
    size_t first_op = 0;
    size_t op_count = 0;
  };
  nlohmann::json operations = nlohmann::json::array();  // the "transact" params after the db name
  std::vector<Member> members;
  bool bumps_next_cfg = false;  // the last two operations are NextCfgBumpOperations()

  // Merges the members' operation arrays (each an array of RFC 7047 operations).
  static Batch Merge(const std::vector<nlohmann::json>& member_operations, bool bump_next_cfg);
};

struct BatchReply {
  bool committed = false;
  std::vector<nlohmann::json> member_results;  // committed: each member's own results
  std::optional<int64_t> next_cfg;             // committed and bumped: the new next_cfg
  // Not committed: the member whose operation failed (none for an error of the
  // commit itself, e.g. a constraint, unless the batch has one member) and the
  // error as FAILED_PRECONDITION with the server's text, tagged with its RFC
  // 7047 error (ErrorTag, error.h).
  std::optional<size_t> guilty;
  Status error;

  // Reads the "transact" result of `batch`; INTERNAL when it is malformed.
  static StatusOr<BatchReply> Split(const Batch& batch, const nlohmann::json& results);
};

}  // namespace hvagent::ovsdb
