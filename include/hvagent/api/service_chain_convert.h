// ServiceChain (proto) ⇄ openflow::ChainSpec and the stored record: the
// chain's spec fields are stored as proto JSON; the uuid, cookie id and
// generation are the store's; the state is the switch's.
#pragma once

#include <map>
#include <vector>

#include "hvagent/openflow/service_chain.h"
#include "hvagent/openflow/service_chain_flows.h"
#include "hvagent/store/network_store.h"
#include "hvagent/store/service_chain_store.h"
#include "hvagent/v1/network.pb.h"

namespace hvagent::api {

// The spec fields only (name, network, nic_macs, processors, policy); id and
// VLAN are left for the caller.
openflow::ChainSpec ChainSpecFromProto(const v1::ServiceChain& chain);
// ValidateChainSpec with every field named from the request ("chain.…").
Status ValidateServiceChain(const v1::ServiceChain& chain);

// The spec fields as the store keeps them.
std::string SpecJson(const v1::ServiceChain& chain);
// A stored chain for the API, with its state (ACTIVE when the switch has
// not reported on it yet).
StatusOr<v1::ServiceChain> ChainToProto(const store::ServiceChainRecord& record,
                                        const std::map<std::string, openflow::ChainStatus>& status);

// Every stored chain as the flow builder takes it: its cookie id, and a
// network chain's VLAN from the network store (a chain whose network is gone
// covers nothing and is left out).
StatusOr<std::vector<openflow::ChainSpec>> StoredChainSpecs(store::ServiceChainStore& chains,
                                                            store::NetworkStore& networks);

}  // namespace hvagent::api
