// Open vSwitch state as gauges, read at scrape time: ports per bridge, and
// each bond's members (link up, active). Query and parsing are pure
// functions, so the parsing is unit-tested on recorded replies.
#pragma once

#include <nlohmann/json.hpp>

#include "hvagent/metrics/metrics.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::metrics {

// Read-only operations: select Bridge, Port and Interface columns.
nlohmann::json SwitchQuery();

// hvagent_ovs_ports{bridge}, hvagent_bond_member_up{bridge,bond,member} and
// hvagent_bond_member_active{bridge,bond,member} from SwitchQuery's results.
StatusOr<std::vector<GaugeFamily>> SwitchGauges(const nlohmann::json& results);

// A gauge source running SwitchQuery on `ovsdb`.
GaugeSource SwitchGaugeSource(ovsdb::Transactor& ovsdb);

}  // namespace hvagent::metrics
