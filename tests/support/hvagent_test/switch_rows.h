// The switch configuration as rows, for the assertion every refusal test
// makes: a refused change leaves the switch byte for byte as it was.
#pragma once

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "hvagent/common/status.h"

namespace hvagent::testing {

// The rows of the tables the agent writes (Bridge, Port, Interface, Mirror,
// QoS, Queue) with the columns it writes, read with ovsdb-client from the
// server at `ovsdb_socket`. Columns ovs-vswitchd keeps updating (statistics,
// link state, ofport) are left out, so two reads of an untouched switch are
// equal.
std::string SwitchRows(const std::string& ovsdb_socket);

// Runs `change`, which must fail with `expected`, and checks that it left
// the switch's rows as they were. The failure names the status it got, or
// the rows before and after.
::testing::AssertionResult RefusedWithoutChange(const std::string& ovsdb_socket,
                                                absl::StatusCode expected,
                                                const std::function<Status()>& change);

}  // namespace hvagent::testing
