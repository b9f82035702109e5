// A Transactor decorator that reports each transaction's latency, size and
// outcome: wraps whichever OVSDB client the daemon uses, so the client needs
// no knowledge of metrics.
#pragma once

#include "hvagent/metrics/ovsdb_observer.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::metrics {

class TimedTransactor final : public ovsdb::Transactor {
 public:
  TimedTransactor(ovsdb::Transactor& inner, OvsdbObserver& observer)
      : inner_(inner), observer_(observer) {}

  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) override;
  // Not timed: no round trip.
  bool ReadCache(const std::function<void(const ovsdb::Cache&)>& read) override {
    return inner_.ReadCache(read);
  }

 private:
  ovsdb::Transactor& inner_;
  OvsdbObserver& observer_;
};

}  // namespace hvagent::metrics
