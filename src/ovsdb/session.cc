#include "hvagent/ovsdb/session.h"

namespace hvagent::ovsdb {

StatusOr<nlohmann::json> Session::Transact(const nlohmann::json& operations) {
  if (!operations.is_array()) {
    return absl::InvalidArgumentError("ovsdb transact takes an array of operations");
  }
  std::shared_ptr<JsonRpcConnection> conn;
  {
    std::lock_guard lock(mu_);
    if (!conn_ || conn_->dead()) {
      auto fresh = JsonRpcConnection::Connect(endpoint_, timeout_);
      if (!fresh.ok()) {
        return absl::UnavailableError(
            fmt::format("ovsdb-server is unreachable: {}", MessageOf(fresh.status())));
      }
      conn_ = std::move(*fresh);
    }
    conn = conn_;
  }
  nlohmann::json params = nlohmann::json::array({kDatabase});
  for (const auto& op : operations) params.push_back(op);
  HVAGENT_ASSIGN_OR_RETURN(nlohmann::json results, conn->Call("transact", params, timeout_));
  if (!results.is_array()) {
    return absl::InternalError(fmt::format("ovsdb transact answered {}", results.dump()));
  }
  for (const auto& result : results) {
    if (result.is_object() && result.contains("error")) {
      return absl::FailedPreconditionError(fmt::format("ovsdb transaction failed: {}: {}",
                                                       result["error"].get<std::string>(),
                                                       result.value("details", "")));
    }
  }
  return results;
}

}  // namespace hvagent::ovsdb
