// ServiceChain (proto) ⇄ chain spec and stored record; the checks name the
// request's fields.
#include "hvagent/api/service_chain_convert.h"

#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

v1::ServiceChain Web() {
  v1::ServiceChain chain;
  chain.set_name("web");
  chain.set_network("vlan.10");
  auto* fw = chain.add_processors();
  fw->set_name("fw");
  fw->set_type(v1::PROCESSOR_TYPE_INLINE);
  fw->set_vm_name("fw-vm");
  fw->set_ingress_nic_mac("52:54:00:00:00:01");
  fw->set_egress_nic_mac("52:54:00:00:00:02");
  auto* ids = chain.add_processors();
  ids->set_name("ids");
  ids->set_type(v1::PROCESSOR_TYPE_TAP);
  ids->set_tap_nic_mac("52:54:00:00:00:03");
  chain.set_failure_policy(v1::FAILURE_POLICY_FAIL_OPEN);
  return chain;
}

TEST(ServiceChainConvertTest, SpecFromProto) {
  const openflow::ChainSpec spec = ChainSpecFromProto(Web());
  EXPECT_EQ(spec.name, "web");
  EXPECT_EQ(spec.network, "vlan.10");
  ASSERT_EQ(spec.processors.size(), 2u);
  EXPECT_EQ(spec.processors[0].kind, openflow::ProcessorKind::kInline);
  EXPECT_EQ(spec.processors[0].egress_mac, "52:54:00:00:00:02");
  EXPECT_EQ(spec.processors[1].kind, openflow::ProcessorKind::kTap);
  EXPECT_EQ(spec.failure_policy, openflow::FailurePolicy::kFailOpen);
  // Unspecified is fail-closed, the default.
  v1::ServiceChain closed = Web();
  closed.clear_failure_policy();
  EXPECT_EQ(ChainSpecFromProto(closed).failure_policy, openflow::FailurePolicy::kFailClosed);
}

TEST(ServiceChainConvertTest, StoredJsonRoundTripsWithTheStoresFields) {
  v1::ServiceChain request = Web();
  request.set_uuid("ignored");  // output only: not stored
  const store::ServiceChainRecord record{.name = "web",
                                         .uuid = "uuid-1",
                                         .cookie_id = 77,
                                         .spec_json = SpecJson(request),
                                         .created_unix_ms = 1,
                                         .generation = 3};
  auto chain = ChainToProto(record, {{"web", {openflow::ChainState::kBypassing, {"fw"}}}});
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(chain->uuid(), "uuid-1");
  EXPECT_EQ(chain->cookie_id(), 77u);
  EXPECT_EQ(chain->generation(), 3);
  EXPECT_EQ(chain->state(), v1::SERVICE_CHAIN_STATE_BYPASSING);
  ASSERT_EQ(chain->processors_down_size(), 1);
  EXPECT_EQ(chain->processors(0).vm_name(), "fw-vm");
  EXPECT_EQ(ChainSpecFromProto(*chain), ChainSpecFromProto(Web()));
  EXPECT_EQ(ChainToProto(record, {})->state(), v1::SERVICE_CHAIN_STATE_ACTIVE);
  store::ServiceChainRecord broken = record;
  broken.spec_json = "{";
  EXPECT_EQ(ChainToProto(broken, {}).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ServiceChainConvertTest, ChecksNameTheRequestsFields) {
  EXPECT_TRUE(ValidateServiceChain(Web()).ok());
  v1::ServiceChain untyped = Web();
  untyped.mutable_processors(1)->clear_type();
  EXPECT_EQ(MessageOf(ValidateServiceChain(untyped)).rfind("chain.processors[1].type:", 0), 0u);
  v1::ServiceChain bad_mac = Web();
  bad_mac.mutable_processors(1)->set_tap_nic_mac("52:54:00:00:00:ZZ");
  EXPECT_EQ(MessageOf(ValidateServiceChain(bad_mac)).rfind("chain.processors[1].tap_nic_mac:", 0),
            0u);
  v1::ServiceChain nowhere = Web();
  nowhere.clear_network();
  EXPECT_EQ(MessageOf(ValidateServiceChain(nowhere)).rfind("chain.network, nic_macs:", 0), 0u);
  v1::ServiceChain policy = Web();
  policy.set_failure_policy(static_cast<v1::FailurePolicy>(9));
  EXPECT_EQ(ValidateServiceChain(policy).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvagent::api
