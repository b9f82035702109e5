// A thread-safe OVSDB Transactor for simple transactions: (re)connects on demand
// and turns per-operation errors (RFC 7047 §5.2) into a Status.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "hvagent/ovsdb/jsonrpc_connection.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::ovsdb {

class Session final : public Transactor {
 public:
  explicit Session(std::string endpoint,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) override;

 private:
  const std::string endpoint_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::shared_ptr<JsonRpcConnection> conn_;
};

}  // namespace hvagent::ovsdb
