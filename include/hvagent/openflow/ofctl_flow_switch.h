// FlowSwitch through `ovs-ofctl`, run from an argument vector by the
// project's program runner (never a shell), against a bridge's management
// socket (<rundir>/<bridge>.mgmt). A change is one `--bundle` (OpenFlow 1.4
// bundle: atomic in the datapath) read from a flow file the agent writes from
// structured flows. docs/architecture.md says why ovs-ofctl and not a native
// OpenFlow connection.
#pragma once

#include <chrono>
#include <string>

#include "hvagent/openflow/flow_switch.h"

namespace hvagent::openflow {

struct OfctlOptions {
  std::string ovs_ofctl = "/usr/bin/ovs-ofctl";
  // Where ovs-vswitchd keeps its <bridge>.mgmt sockets.
  std::string rundir = "/var/run/openvswitch";
  // Where the bundle's flow file is written (and removed right after).
  std::string scratch_dir = "/tmp";
  std::chrono::milliseconds timeout{10000};
};

// The directory of a "unix:/dir/db.sock" OVSDB endpoint: ovs-vswitchd's
// rundir holds both the database socket and the bridges' management sockets.
// Empty for other endpoints.
std::string RundirOfOvsdbEndpoint(const std::string& endpoint);

class OfctlFlowSwitch final : public FlowSwitch {
 public:
  explicit OfctlFlowSwitch(OfctlOptions options) : options_(std::move(options)) {}
  StatusOr<std::vector<Flow>> DumpAgentFlows(const std::string& bridge) override;
  Status Apply(const std::string& bridge, const FlowChanges& changes) override;

 private:
  std::string Target(const std::string& bridge) const;

  const OfctlOptions options_;
};

}  // namespace hvagent::openflow
