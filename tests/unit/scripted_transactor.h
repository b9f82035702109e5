// A Transactor for unit tests of OVSDB users: it answers each transaction
// with the next scripted result and keeps what was sent.
#pragma once

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

  std::vector<nlohmann::json> sent;

 private:
  std::vector<StatusOr<nlohmann::json>> answers_;
  size_t next_ = 0;
};

}  // namespace hvagent::testing
