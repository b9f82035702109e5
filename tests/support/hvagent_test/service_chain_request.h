// The service chain most chain tests make: one inline processor on a network.
#pragma once

#include <string>

#include "hvagent/v1/network.pb.h"

namespace hvagent::testing {

// CreateServiceChain of `name` on `network` through one inline processor
// `processor`, wired by its ingress and egress NICs' MACs; request_id
// "create-<name>".
inline v1::CreateServiceChainRequest InlineChainRequest(const std::string& name,
                                                        const std::string& network,
                                                        const std::string& processor,
                                                        const std::string& ingress_mac,
                                                        const std::string& egress_mac) {
  v1::CreateServiceChainRequest create;
  create.set_request_id("create-" + name);
  v1::ServiceChain* chain = create.mutable_chain();
  chain->set_name(name);
  chain->set_network(network);
  v1::PacketProcessor* inline_processor = chain->add_processors();
  inline_processor->set_name(processor);
  inline_processor->set_type(v1::PROCESSOR_TYPE_INLINE);
  inline_processor->set_ingress_nic_mac(ingress_mac);
  inline_processor->set_egress_nic_mac(egress_mac);
  return create;
}

}  // namespace hvagent::testing
