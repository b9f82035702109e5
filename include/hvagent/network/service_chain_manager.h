// Service chains on the switch: the ports of br.nf and br0.local read from
// OVSDB (processor NICs by their Interface external_ids, VM NICs by theirs),
// the flows built purely (openflow::BuildServiceChainFlows) and made so on
// both bridges, writing only what differs, each bridge's change one bundle.
// Called on every chain change, every port change (a processor VM going down
// is its NICs' link going down) and periodically (a flow deleted behind the
// agent's back comes back).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/network/bridge_chain.h"
#include "hvagent/openflow/flow_switch.h"
#include "hvagent/openflow/service_chain_flows.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

// What one pass wrote.
struct ChainReconcileResult {
  size_t flows_added = 0;
  size_t flows_removed = 0;
  std::map<std::string, openflow::ChainStatus> status;
};

class ServiceChainManager {
 public:
  // The chains to apply, as stored (with network chains' VLANs resolved).
  using ChainSource = std::function<StatusOr<std::vector<openflow::ChainSpec>>()>;
  // A chain's state changed (a processor went down or came back), or a chain
  // was first seen not active: its name and its state now.
  using StatusListener =
      std::function<void(const std::string& chain, const openflow::ChainStatus& now)>;

  ServiceChainManager(ovsdb::Transactor& ovsdb, openflow::FlowSwitch& flows, ChainSource chains,
                      StatusListener on_status)
      : ovsdb_(ovsdb),
        flows_(flows),
        chains_(std::move(chains)),
        on_status_(std::move(on_status)) {}

  // One pass. Not concurrent with itself (the caller serialises, e.g. one
  // worker key). A missing bridge with no flows to hold is not an error.
  // With no chain stored and none of the agent's flows left by the last
  // pass, nothing is read from the switch: every domain's lifecycle event and
  // every Interface change asks for a pass, and a full one runs ovs-ofctl
  // three times.
  StatusOr<ChainReconcileResult> Reconcile();

  // The ports the flows are built from, read from OVSDB.
  StatusOr<openflow::ChainPorts> ReadPorts();

  // The last pass's state of each chain.
  std::map<std::string, openflow::ChainStatus> Statuses() const;

 private:
  // What turns `bridge`'s agent flows into `desired`.
  StatusOr<openflow::FlowChanges> Plan(const std::string& bridge,
                                       const std::vector<openflow::Flow>& desired);
  // One bundle (none when there is nothing to change); adds to the counts.
  Status Write(const std::string& bridge, const openflow::FlowChanges& changes,
               ChainReconcileResult& result);

  ovsdb::Transactor& ovsdb_;
  openflow::FlowSwitch& flows_;
  const ChainSource chains_;
  const StatusListener on_status_;
  mutable std::mutex mu_;
  std::map<std::string, openflow::ChainStatus> last_status_;  // under mu_
  // The last pass had no chain and left no flow of the agent's (Reconcile is
  // the only writer of such flows, and writes them only for a chain).
  bool cleared_without_chains_ = false;  // under Reconcile's serialisation
};

}  // namespace hvagent::network
