// The switch side of the agent's flows: read back what a bridge holds under
// the agent's cookies, and change it all-or-nothing. Only flows whose cookie
// carries the agent's prefix are ever read, added or deleted.
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/openflow/flow.h"

namespace hvagent::openflow {

// What turns a bridge's agent flows into the desired ones.
struct FlowChanges {
  std::vector<Flow> remove;  // present, not desired (deleted strictly, under their cookie)
  std::vector<Flow> add;     // desired, not present
  bool empty() const { return remove.empty() && add.empty(); }
};

// Pure: `desired` against `present` (both any order; `present` may hold
// duplicates the switch reported). A flow equal in every field is left alone,
// so a restart with nothing drifted changes nothing.
FlowChanges DiffFlows(std::vector<Flow> desired, std::vector<Flow> present);

class FlowSwitch {
 public:
  virtual ~FlowSwitch() = default;
  // The bridge's flows whose cookie has the agent's prefix, sorted.
  // FAILED_PRECONDITION when the bridge does not exist.
  virtual StatusOr<std::vector<Flow>> DumpAgentFlows(const std::string& bridge) = 0;
  // Applies every change in one OpenFlow bundle: the datapath sees all of it
  // or none. Refuses (INVALID_ARGUMENT) a flow without the agent's cookie.
  virtual Status Apply(const std::string& bridge, const FlowChanges& changes) = 0;
};

}  // namespace hvagent::openflow
