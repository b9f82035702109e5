// An ovsdb::Transactor for unit tests of code that reads the switch: it has no
// bridge, port or interface, so every select answers no rows, and it has no
// monitor cache (callers fall back to their select).
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "hvagent/ovsdb/transactor.h"

namespace hvagent::testing {

class EmptySwitch final : public ovsdb::Transactor {
 public:
  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) override {
    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < operations.size(); ++i) {
      results.push_back({{"rows", nlohmann::json::array()}});
    }
    return results;
  }
  bool ReadCache(const std::function<void(const ovsdb::Cache&)>& /*read*/) override {
    return false;
  }
};

}  // namespace hvagent::testing
