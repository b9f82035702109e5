// A Transactor for unit tests of OVSDB users: it answers each transaction
// with the next scripted result and keeps what was sent; with `cache` set, it
// has a monitor cache too.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/ovsdb/transactor.h"

namespace hvagent::testing {

class ScriptedTransactor final : public ovsdb::Transactor {
 public:
  explicit ScriptedTransactor(std::vector<StatusOr<nlohmann::json>> answers)
      : answers_(std::move(answers)) {}

  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) override {
    sent.push_back(operations);
    if (next_ >= answers_.size()) return absl::InternalError("unscripted transaction");
    return answers_[next_++];
  }

  bool ReadCache(const std::function<void(const ovsdb::Cache&)>& read) override {
    if (!cache) return false;
    read(*cache);
    return true;
  }

  std::vector<nlohmann::json> sent;
  std::optional<ovsdb::Cache> cache;

 private:
  std::vector<StatusOr<nlohmann::json>> answers_;
  size_t next_ = 0;
};

}  // namespace hvagent::testing
