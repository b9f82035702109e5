#include "hvagent/api/service_chain_convert.h"

#include <google/protobuf/util/json_util.h>

namespace hvagent::api {

openflow::ChainSpec ChainSpecFromProto(const v1::ServiceChain& chain) {
  openflow::ChainSpec spec;
  spec.name = chain.name();
  spec.network = chain.network();
  spec.nic_macs.assign(chain.nic_macs().begin(), chain.nic_macs().end());
  for (const v1::PacketProcessor& p : chain.processors()) {
    spec.processors.push_back({.name = p.name(),
                               .kind = p.type() == v1::PROCESSOR_TYPE_TAP
                                           ? openflow::ProcessorKind::kTap
                                           : openflow::ProcessorKind::kInline,
                               .vm_name = p.vm_name(),
                               .ingress_mac = p.ingress_nic_mac(),
                               .egress_mac = p.egress_nic_mac(),
                               .tap_mac = p.tap_nic_mac()});
  }
  spec.failure_policy = chain.failure_policy() == v1::FAILURE_POLICY_FAIL_OPEN
                            ? openflow::FailurePolicy::kFailOpen
                            : openflow::FailurePolicy::kFailClosed;
  return spec;
}

Status ValidateServiceChain(const v1::ServiceChain& chain) {
  for (int i = 0; i < chain.processors_size(); ++i) {
    if (chain.processors(i).type() == v1::PROCESSOR_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(fmt::format(
          "chain.processors[{}].type: must be PROCESSOR_TYPE_INLINE or PROCESSOR_TYPE_TAP", i));
    }
  }
  if (!v1::FailurePolicy_IsValid(chain.failure_policy())) {
    return absl::InvalidArgumentError("chain.failure_policy: not a FailurePolicy");
  }
  const Status valid = openflow::ValidateChainSpec(ChainSpecFromProto(chain));
  if (valid.ok()) return valid;
  return Status(valid.code(), fmt::format("chain.{}", MessageOf(valid)));
}

std::string SpecJson(const v1::ServiceChain& chain) {
  v1::ServiceChain spec;
  spec.set_name(chain.name());
  spec.set_network(chain.network());
  *spec.mutable_nic_macs() = chain.nic_macs();
  *spec.mutable_processors() = chain.processors();
  spec.set_failure_policy(chain.failure_policy() == v1::FAILURE_POLICY_FAIL_OPEN
                              ? v1::FAILURE_POLICY_FAIL_OPEN
                              : v1::FAILURE_POLICY_FAIL_CLOSED);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(spec, &json, options);
  return json;
}

namespace {

v1::ServiceChainState StateOf(openflow::ChainState state) {
  switch (state) {
    case openflow::ChainState::kActive: return v1::SERVICE_CHAIN_STATE_ACTIVE;
    case openflow::ChainState::kBypassing: return v1::SERVICE_CHAIN_STATE_BYPASSING;
    case openflow::ChainState::kFailedClosed: return v1::SERVICE_CHAIN_STATE_FAILED_CLOSED;
  }
  return v1::SERVICE_CHAIN_STATE_UNSPECIFIED;
}

}  // namespace

StatusOr<v1::ServiceChain> ChainToProto(
    const store::ServiceChainRecord& record,
    const std::map<std::string, openflow::ChainStatus>& status) {
  v1::ServiceChain chain;
  const auto parsed = google::protobuf::util::JsonStringToMessage(record.spec_json, &chain);
  if (!parsed.ok()) {
    return absl::DataLossError(
        fmt::format("service chain '{}': its stored spec does not parse", record.name));
  }
  chain.set_uuid(record.uuid);
  chain.set_cookie_id(record.cookie_id);
  chain.set_generation(record.generation);
  chain.set_state(v1::SERVICE_CHAIN_STATE_ACTIVE);
  if (const auto it = status.find(record.name); it != status.end()) {
    chain.set_state(StateOf(it->second.state));
    for (const std::string& down : it->second.processors_down) chain.add_processors_down(down);
  }
  return chain;
}

StatusOr<std::vector<openflow::ChainSpec>> StoredChainSpecs(store::ServiceChainStore& chains,
                                                            store::NetworkStore& networks) {
  HVAGENT_ASSIGN_OR_RETURN(const auto records, chains.List());
  std::vector<openflow::ChainSpec> specs;
  for (const store::ServiceChainRecord& record : records) {
    HVAGENT_ASSIGN_OR_RETURN(const v1::ServiceChain chain, ChainToProto(record, {}));
    openflow::ChainSpec spec = ChainSpecFromProto(chain);
    spec.id = record.cookie_id;
    if (!spec.network.empty()) {
      auto network = networks.Get(spec.network);
      if (!network.ok()) {
        if (network.status().code() == absl::StatusCode::kNotFound) continue;
        return network.status();
      }
      spec.vlan_id = network->vlan_id;
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace hvagent::api
