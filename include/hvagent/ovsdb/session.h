// A thread-safe OVSDB session for simple transactions: (re)connects on demand
// and turns per-operation errors (RFC 7047 §5.2) into a Status.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "hvagent/ovsdb/jsonrpc_connection.h"

namespace hvagent::ovsdb {

inline constexpr const char* kDatabase = "Open_vSwitch";

class Session {
 public:
  explicit Session(std::string endpoint,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  // Runs `operations` (a JSON array of RFC 7047 operations) on Open_vSwitch in
  // one transaction and returns the per-operation results. UNAVAILABLE when
  // ovsdb-server cannot be reached.
  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations);

  // Whether `table` has a row whose string `column` equals `value`.
  StatusOr<bool> RowExists(const std::string& table, const std::string& column,
                           const std::string& value);

 private:
  const std::string endpoint_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::shared_ptr<JsonRpcConnection> conn_;
};

}  // namespace hvagent::ovsdb
