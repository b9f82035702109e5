// The metrics module without a network: families and labels as serialized,
// the switch gauges parsed from a recorded OVSDB reply, the timed decorator,
// and a failing scrape-time source.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/metrics/metrics.h"
#include "hvagent/metrics/ovsdb_client_source.h"
#include "hvagent/metrics/switch_gauges.h"
#include "hvagent/metrics/timed_transactor.h"

namespace hvagent::metrics {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RpcsByMethodAndCode) {
  Metrics metrics;
  metrics.ObserveRpc("/hvagent.v1.VmService/CreateVm", "OK", std::chrono::milliseconds(3));
  metrics.ObserveRpc("/hvagent.v1.VmService/CreateVm", "OK", std::chrono::milliseconds(30));
  metrics.ObserveRpc("/hvagent.v1.VmService/GetVm", "NOT_FOUND", std::chrono::milliseconds(1));
  const std::string text = metrics.Serialize();
  // Labels come sorted by name.
  const std::string create = R"(code="OK",method="/hvagent.v1.VmService/CreateVm")";
  EXPECT_THAT(text, HasSubstr("hvagent_rpc_requests_total{" + create + "} 2"));
  EXPECT_THAT(text, HasSubstr(R"(hvagent_rpc_requests_total{code="NOT_FOUND",)"
                              R"(method="/hvagent.v1.VmService/GetVm"} 1)"));
  // 3 ms is above the 2.5 ms bucket, 30 ms above 25 ms.
  EXPECT_THAT(text,
              HasSubstr("hvagent_rpc_duration_seconds_bucket{" + create + R"(,le="0.0025"} 0)"));
  EXPECT_THAT(text,
              HasSubstr("hvagent_rpc_duration_seconds_bucket{" + create + R"(,le="0.005"} 1)"));
  EXPECT_THAT(text,
              HasSubstr("hvagent_rpc_duration_seconds_bucket{" + create + R"(,le="0.05"} 2)"));
}

class FakeTransactor final : public ovsdb::Transactor {
 public:
  StatusOr<json> Transact(const json& operations) override {
    if (fail) return absl::UnavailableError("ovsdb-server is gone");
    return json(std::vector<json>(operations.size(), json::object()));
  }
  bool fail = false;
};

// Each of `parts` appears in `text`; the failure names those that do not.
::testing::AssertionResult ContainsEach(const std::string& text,
                                        std::initializer_list<std::string_view> parts) {
  std::string missing;
  for (std::string_view part : parts) {
    if (text.find(part) == std::string::npos) missing += "\n  " + std::string(part);
  }
  if (missing.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing:" << missing << "\nin:\n" << text;
}

TEST(MetricsTest, TimedTransactorCountsResultAndOperations) {
  Metrics metrics;
  FakeTransactor fake;
  TimedTransactor timed(fake, metrics);
  ASSERT_TRUE(
      timed.Transact(json::array({{{"op", "comment"}}, {{"op", "comment"}}, {{"op", "comment"}}}))
          .ok());
  fake.fail = true;
  EXPECT_EQ(timed.Transact(json::array({{{"op", "comment"}}})).status().code(),
            absl::StatusCode::kUnavailable);
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(
      ContainsEach(text, {"hvagent_ovsdb_transactions_total{result=\"ok\"} 1",
                          "hvagent_ovsdb_transactions_total{result=\"error\"} 1",
                          "hvagent_ovsdb_transaction_duration_seconds_count{result=\"ok\"} 1",
                          // Sizes 3 and 1: one in the le=1 bucket, both by le=4, sum 4.
                          "hvagent_ovsdb_transaction_operations_bucket{le=\"1\"} 1",
                          "hvagent_ovsdb_transaction_operations_bucket{le=\"4\"} 2",
                          "hvagent_ovsdb_transaction_operations_sum 4"}));
}

TEST(MetricsTest, FailingSourceLeavesItsFamiliesOutAndSaysSo) {
  Metrics metrics;
  bool fail = false;
  metrics.AddGaugeSource("things", [&fail]() -> StatusOr<std::vector<GaugeFamily>> {
    if (fail) return absl::UnavailableError("down");
    return std::vector<GaugeFamily>{
        {.name = "hvagent_things", .help = "Things.", .samples = {{{{"kind", "a"}}, 7}}}};
  });
  std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("hvagent_things{kind=\"a\"} 7"));
  EXPECT_THAT(text, HasSubstr("hvagent_metrics_source_up{source=\"things\"} 1"));
  fail = true;
  text = metrics.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("hvagent_things{")));
  EXPECT_THAT(text, HasSubstr("hvagent_metrics_source_up{source=\"things\"} 0"));
}

// The OVSDB client's batch sizes become a histogram, its counters counters.
TEST(MetricsTest, OvsdbClientCountersAsFamilies) {
  ovsdb::ClientStats stats;
  stats.round_trips = 7;
  stats.reruns = 2;
  stats.connects = 1;
  stats.queued = 3;
  stats.batch_sizes = {{1, 3}, {5, 2}};  // three transacts of 1 caller, two of 5
  Metrics metrics;
  metrics.AddGaugeSource("ovsdb_client", [&stats]() -> StatusOr<std::vector<GaugeFamily>> {
    return OvsdbClientFamilies(stats);
  });
  const std::string text = metrics.Serialize();
  EXPECT_TRUE(ContainsEach(
      text,
      {"# TYPE hvagent_ovsdb_batch_callers histogram", "hvagent_ovsdb_batch_callers_count 5\n",
       "hvagent_ovsdb_batch_callers_sum 13\n", "hvagent_ovsdb_batch_callers_bucket{le=\"1\"} 3\n",
       "hvagent_ovsdb_batch_callers_bucket{le=\"4\"} 3\n",
       "hvagent_ovsdb_batch_callers_bucket{le=\"8\"} 5\n",
       "hvagent_ovsdb_batch_callers_bucket{le=\"+Inf\"} 5\n",
       "# TYPE hvagent_ovsdb_round_trips_total counter", "hvagent_ovsdb_round_trips_total 7\n",
       "hvagent_ovsdb_reruns_total 2\n",
       "hvagent_ovsdb_pending_transactions{stage=\"queued\"} 3\n"}));
}

// A reply to SwitchQuery as ovsdb-server gives it: br0 with three ports, one
// of them the bond br0-up of eth0 (up, active) and eth1 (down); br1 empty.
json RecordedReply() {
  return json::parse(R"([
    {"rows": [
      {"name": "br0", "ports": ["set", [["uuid", "p-br0"], ["uuid", "p-bond"], ["uuid", "p-tap"]]]},
      {"name": "br1", "ports": ["set", []]},
      {"name": "br2", "ports": ["uuid", "p-br2"]}]},
    {"rows": [
      {"_uuid": ["uuid", "p-br0"], "name": "br0", "interfaces": ["uuid", "i-br0"],
       "bond_active_slave": ["set", []]},
      {"_uuid": ["uuid", "p-bond"], "name": "br0-up",
       "interfaces": ["set", [["uuid", "i-eth0"], ["uuid", "i-eth1"]]],
       "bond_active_slave": "52:54:00:00:00:01"},
      {"_uuid": ["uuid", "p-tap"], "name": "tap1", "interfaces": ["uuid", "i-tap"],
       "bond_active_slave": ["set", []]},
      {"_uuid": ["uuid", "p-br2"], "name": "br2", "interfaces": ["uuid", "i-br2"],
       "bond_active_slave": ["set", []]}]},
    {"rows": [
      {"_uuid": ["uuid", "i-br0"], "name": "br0", "link_state": "up", "mac_in_use": "aa:00:00:00:00:00"},
      {"_uuid": ["uuid", "i-eth0"], "name": "eth0", "link_state": "up",
       "mac_in_use": "52:54:00:00:00:01"},
      {"_uuid": ["uuid", "i-eth1"], "name": "eth1", "link_state": "down",
       "mac_in_use": "52:54:00:00:00:02"},
      {"_uuid": ["uuid", "i-tap"], "name": "tap1", "link_state": ["set", []],
       "mac_in_use": ["set", []]},
      {"_uuid": ["uuid", "i-br2"], "name": "br2", "link_state": "up", "mac_in_use": "aa:00:00:00:00:02"}]}
  ])");
}

double Value(const std::vector<GaugeFamily>& families, const std::string& name,
             const std::map<std::string, std::string>& labels) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& sample : family.samples) {
      if (sample.labels == labels) return sample.value;
    }
  }
  return -1;
}

TEST(SwitchGaugesTest, PortsByBridgeAndBondMembers) {
  auto families = SwitchGauges(RecordedReply());
  ASSERT_TRUE(families.ok()) << families.status();
  EXPECT_EQ(Value(*families, "hvagent_ovs_ports", {{"bridge", "br0"}}), 3);
  EXPECT_EQ(Value(*families, "hvagent_ovs_ports", {{"bridge", "br1"}}), 0);
  EXPECT_EQ(Value(*families, "hvagent_ovs_ports", {{"bridge", "br2"}}), 1);
  const std::map<std::string, std::string> eth0{
      {"bridge", "br0"}, {"bond", "br0-up"}, {"member", "eth0"}};
  const std::map<std::string, std::string> eth1{
      {"bridge", "br0"}, {"bond", "br0-up"}, {"member", "eth1"}};
  EXPECT_EQ(Value(*families, "hvagent_bond_member_up", eth0), 1);
  EXPECT_EQ(Value(*families, "hvagent_bond_member_up", eth1), 0);
  EXPECT_EQ(Value(*families, "hvagent_bond_member_active", eth0), 1);
  EXPECT_EQ(Value(*families, "hvagent_bond_member_active", eth1), 0);
  // Ports with one interface are not bonds.
  for (const auto& family : *families) {
    if (family.name == "hvagent_bond_member_up") {
      EXPECT_EQ(family.samples.size(), 2u);
    }
  }
}

TEST(SwitchGaugesTest, MalformedReplyIsAnError) {
  EXPECT_FALSE(SwitchGauges(json::array({json::object()})).ok());
  EXPECT_FALSE(SwitchGauges(json::object()).ok());
}

TEST(SwitchGaugesTest, QueryOnlyReads) {
  for (const json& op : SwitchQuery()) EXPECT_EQ(op["op"], "select");
}

}  // namespace
}  // namespace hvagent::metrics
