#include "hvagent/metrics/ovsdb_client_source.h"

namespace hvagent::metrics {

namespace {

GaugeFamily Counter(const char* name, const char* help, uint64_t value) {
  return {.name = name,
          .help = help,
          .samples = {{.labels = {}, .value = static_cast<double>(value)}},
          .type = FamilyType::kCounter};
}

}  // namespace

std::vector<GaugeFamily> OvsdbClientFamilies(const ovsdb::ClientStats& stats) {
  // Members per transact, as a histogram over powers of two.
  Sample batches{.labels = {}, .value = 0, .buckets = {}, .sum = 0};
  for (int shift = 0; shift <= 10; ++shift) {
    batches.buckets.emplace_back(static_cast<double>(1 << shift), 0);
  }
  for (const auto& [members, transacts] : stats.batch_sizes) {
    batches.value += static_cast<double>(transacts);
    batches.sum += static_cast<double>(members * transacts);
    for (auto& [bound, count] : batches.buckets) {
      if (static_cast<double>(members) <= bound) count += transacts;
    }
  }
  std::vector<GaugeFamily> families;
  families.push_back({.name = "hvagent_ovsdb_batch_callers",
                      .help = "Callers' transactions merged into one OVSDB transact on the wire.",
                      .samples = {std::move(batches)},
                      .type = FamilyType::kHistogram});
  families.push_back(Counter("hvagent_ovsdb_round_trips_total",
                             "transact requests sent to ovsdb-server (merged batches and re-runs).",
                             stats.round_trips));
  families.push_back(Counter("hvagent_ovsdb_reruns_total",
                             "Callers' transactions sent again alone after their merged batch "
                             "failed (so only the guilty one gets the error).",
                             stats.reruns));
  families.push_back(Counter("hvagent_ovsdb_connects_total",
                             "Connections to ovsdb-server (each one a full cache resync).",
                             stats.connects));
  families.push_back(
      {.name = "hvagent_ovsdb_pending_transactions",
       .help = "Callers' transactions waiting for the next transact (queued) or its reply "
               "(in_flight), now.",
       .samples = {
           {.labels = {{"stage", "queued"}}, .value = static_cast<double>(stats.queued)},
           {.labels = {{"stage", "in_flight"}}, .value = static_cast<double>(stats.in_flight)}}});
  return families;
}

GaugeSource OvsdbClientSource(const ovsdb::Client& client) {
  return [&client]() -> StatusOr<std::vector<GaugeFamily>> {
    return OvsdbClientFamilies(client.stats());
  };
}

}  // namespace hvagent::metrics
