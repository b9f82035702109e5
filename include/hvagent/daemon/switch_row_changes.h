// What the daemon's upkeep makes of the OVSDB monitor's row changes: which
// deletions call for a VM NIC reconcile and which for the bridges' upkeep.
// Pure, so that the rules are unit-tested; the agent's listeners apply them.
#pragma once

#include <vector>

#include "hvagent/ovsdb/cache.h"

namespace hvagent::daemon {

// Whether a VM NIC's Port row (external_ids vm-uuid) went: only that can
// leave a running VM unplugged. The agent's internal ports, tunnels, bonds
// and other ports going call for no VM reconcile (at 1,000 internal ports
// deleted, one reconcile per batch of deletions listed every owned port).
bool DeletesVmNicPort(const std::vector<ovsdb::RowChange>& changes);

// Whether a deletion may have undone br0 or its chain: a Bridge row, or a
// Port row that is not one of the leaves the agent hangs on a bridge (a VM
// NIC, an internal port, a tunnel), e.g. a patch port or a bridge's own.
bool MayUndoBridges(const std::vector<ovsdb::RowChange>& changes);

}  // namespace hvagent::daemon
