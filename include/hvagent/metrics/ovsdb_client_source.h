// The OVSDB client's own counters as scrape-time families: how it merges
// concurrent callers into batches (members per `transact` on the wire),
// round trips, re-runs after a failed batch, reconnects, and what waits now.
#pragma once

#include "hvagent/metrics/metrics.h"
#include "hvagent/ovsdb/client.h"

namespace hvagent::metrics {

// Pure: the families for one snapshot of the client's counters.
std::vector<GaugeFamily> OvsdbClientFamilies(const ovsdb::ClientStats& stats);

GaugeSource OvsdbClientSource(const ovsdb::Client& client);

}  // namespace hvagent::metrics
