// The narrow seam every OVSDB user goes through: run RFC 7047 operations on
// Open_vSwitch in one transaction. Client (client.h: cache, batching, next_cfg
// acknowledgement) is the implementation; metrics::TimedTransactor wraps one.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/cache.h"

namespace hvagent::ovsdb {

inline constexpr const char* kDatabase = "Open_vSwitch";

class Transactor {
 public:
  virtual ~Transactor() = default;

  // Runs `operations` (a JSON array of RFC 7047 operations) on Open_vSwitch in
  // one transaction and returns the per-operation results. UNAVAILABLE when
  // ovsdb-server cannot be reached; FAILED_PRECONDITION with the server's
  // error when an operation fails (and then nothing was committed), carrying
  // its RFC 7047 error tag (ErrorTag in error.h: e.g. "timed out" for a failed
  // `wait`).
  virtual StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) = 0;

  // Runs `read` on the copy of the database a monitor keeps current (Client's
  // cache), under its lock, and returns true; false, running nothing, when
  // there is none or it is not current (disconnected). It costs no round
  // trip, but it may lag the server by what another client changed a moment
  // ago: a change decided on it must guard itself with a `wait` on what it
  // read. `read` must be quick and must not call the transactor.
  virtual bool ReadCache(const std::function<void(const Cache&)>& read) {
    (void)read;
    return false;
  }

  // Whether `table` has a row whose string `column` equals `value`.
  StatusOr<bool> RowExists(const std::string& table, const std::string& column,
                           const std::string& value);
};

}  // namespace hvagent::ovsdb
