#include <algorithm>
#include <iterator>

#include "hvagent/openflow/flow_switch.h"

namespace hvagent::openflow {

FlowChanges DiffFlows(std::vector<Flow> desired, std::vector<Flow> present) {
  std::sort(desired.begin(), desired.end());
  desired.erase(std::unique(desired.begin(), desired.end()), desired.end());
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  FlowChanges changes;
  std::set_difference(present.begin(), present.end(), desired.begin(), desired.end(),
                      std::back_inserter(changes.remove));
  std::set_difference(desired.begin(), desired.end(), present.begin(), present.end(),
                      std::back_inserter(changes.add));
  return changes;
}

}  // namespace hvagent::openflow
