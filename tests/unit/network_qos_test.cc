// Per-NIC QoS: validation and the one transaction that applies or clears it
// (golden files for the two egress shapers).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hvagent/network/nic_qos.h"
#include "hvagent_test/golden.h"

namespace hvagent::network {
namespace {

using hvagent::testing::GoldenJson;

using nlohmann::json;

TEST(NicQosTest, Validation) {
  EXPECT_TRUE(ValidateNicQos({}).ok());
  EXPECT_TRUE(
      ValidateNicQos({.ingress_rate_kbps = 1000, .ingress_burst_kb = 100, .egress_rate_kbps = 5000})
          .ok());
  Status s = ValidateNicQos({.ingress_burst_kb = 100});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(MessageOf(s).find("ingress_burst_kb:"), std::string::npos) << s;
  s = ValidateNicQos({.ingress_rate_kbps = 1ULL << 32});
  EXPECT_NE(MessageOf(s).find("ingress_rate_kbps:"), std::string::npos) << s;
  s = ValidateNicQos({.egress_rate_kbps = ~0ULL});
  EXPECT_NE(MessageOf(s).find("egress_rate_kbps:"), std::string::npos) << s;
}

TEST(NicQosOperationsTest, LinuxHtbWithAQueueOnAFreshPort) {
  EXPECT_EQ(
      ApplyNicQosOperations(
          "hvt1", {.ingress_rate_kbps = 1000, .ingress_burst_kb = 100, .egress_rate_kbps = 5000},
          EgressShaper::kLinuxHtb, {}),
      GoldenJson("network/qos-htb-fresh.json"));
}

TEST(NicQosOperationsTest, EgressPolicerReplacingTheAgentsPreviousRows) {
  const CurrentQos current{
      .port_qos = json::parse(R"(["uuid", "aaaaaaaa-0000-0000-0000-000000000001"])"),
      .owned_qos_uuid = "aaaaaaaa-0000-0000-0000-000000000001",
      .owned_queue_uuids = {"bbbbbbbb-0000-0000-0000-000000000002"}};
  EXPECT_EQ(ApplyNicQosOperations("hvt1", {.egress_rate_kbps = 8000}, EgressShaper::kEgressPolicer,
                                  current),
            GoldenJson("network/qos-policer-replace.json"));
}

TEST(NicQosOperationsTest, ClearingRemovesTheQosAndPolicing) {
  const CurrentQos current{
      .port_qos = json::parse(R"(["uuid", "aaaaaaaa-0000-0000-0000-000000000001"])"),
      .owned_qos_uuid = "aaaaaaaa-0000-0000-0000-000000000001"};
  const json ops = ApplyNicQosOperations("hvt1", {}, EgressShaper::kLinuxHtb, current);
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[1]["row"], json::parse(R"({"ingress_policing_rate": 0,
                                           "ingress_policing_burst": 0})"));
  EXPECT_EQ(ops[2]["row"], json::parse(R"({"qos": ["set", []]})"));
  EXPECT_EQ(ops[3]["op"], "delete");
  EXPECT_EQ(ops[3]["table"], "QoS");
}

}  // namespace
}  // namespace hvagent::network
