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
  bool writes = false;
  for (const auto& op : operations) {
    params.push_back(op);
    const std::string name = op.value("op", "");
    writes =
        writes || (name != "select" && name != "wait" && name != "comment" && name != "assert");
  }
  // ovs-vswitchd (3.1, measured) does not always reconfigure on a changed
  // Port row alone, but always when next_cfg moves: so every write bumps it,
  // as ovs-vsctl does.
  if (writes) {
    params.push_back({{"op", "mutate"},
                      {"table", "Open_vSwitch"},
                      {"where", nlohmann::json::array()},
                      {"mutations", nlohmann::json::array({{"next_cfg", "+=", 1}})}});
  }
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
  if (writes) results.erase(results.end() - 1);  // the next_cfg bump is ours
  return results;
}

}  // namespace hvagent::ovsdb
