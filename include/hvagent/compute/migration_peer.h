// The destination host's agent as a migration's source sees it: the
// agent-to-agent calls that check and prepare a VM's arrival there, and undo
// it. The daemon implements it over gRPC (api::GrpcMigrationPeer); unit tests
// use a VmManager of another fake host.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/compute/hypervisor.h"

namespace hvagent::compute {

class MigrationPeer {
 public:
  virtual ~MigrationPeer() = default;
  // Whether the VM (its persistent domain XML, with the agent's metadata) can
  // come: FAILED_PRECONDITION naming the reason when not. Changes nothing.
  virtual Status CheckIncoming(const std::string& domain_xml, bool live) = 0;
  // Checks again, then makes the VM's taps and plugs its ports there, so the
  // guest's first frame after the switch-over finds the switch.
  virtual Status PrepareIncoming(const std::string& domain_xml) = 0;
  // The migration failed: removes what PrepareIncoming made (unless the VM
  // runs there after all).
  virtual Status AbortIncoming(const std::string& domain_xml) = 0;
  // The migration succeeded: the VM is the destination's like any other. The
  // completed job as the destination measured it (downtime, data), when its
  // hypervisor kept it.
  virtual StatusOr<MigrationJob> FinishIncoming(const std::string& domain_xml) = 0;
};

// Connects to the agent at `endpoint` ("unix:/run/hvagent.sock", "host:7443").
using MigrationPeerConnector =
    std::function<StatusOr<std::unique_ptr<MigrationPeer>>(const std::string& endpoint)>;

}  // namespace hvagent::compute
