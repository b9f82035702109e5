// Internal ports: validation and the OVSDB transaction.
#include <gtest/gtest.h>

#include "hvagent/network/internal_port.h"

#include "scripted_transactor.h"

namespace hvagent::network {
namespace {

using nlohmann::json;

TEST(InternalPortSpecTest, Validation) {
  InternalPortSpec spec{.name = "vlan10-host",
                        .bridge = "br0",
                        .vlan_id = 10,
                        .network = "vlan.10",
                        .address = "10.0.10.5/24"};
  EXPECT_TRUE(ValidateInternalPortSpec(spec).ok());
  spec.address = "10.0.10.5";  // no prefix
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("address:"), std::string::npos);
  spec.address = "";
  spec.vlan_id = 4095;
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("vlan_id:"), std::string::npos);
  spec.vlan_id = 0;
  spec.name = "sixteen-chars-xx";
  EXPECT_EQ(ValidateInternalPortSpec(spec).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(MessageOf(ValidateInternalPortSpec(spec)).find("name:"), std::string::npos);
}

TEST(InternalPortManagerTest, ANameTheHostAlreadyHasIsRefusedBeforeAnythingIsSent) {
  // No such port on the switch; but every network namespace has "lo".
  hvagent::testing::ScriptedTransactor ovsdb(
      {json::parse(R"([{"rows": []}, {"rows": []}, {"rows": []}])")});
  InternalPortManager ports(ovsdb);
  const Status s = ports.Create({.name = "lo", .bridge = "br0", .network = "vlan.0"});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(MessageOf(s),
            "name: the host already has a network interface named 'lo' (outside the switch); "
            "pick another name");
  EXPECT_EQ(ovsdb.sent.size(), 1U);  // the read, no change
}

TEST(InternalPortOperationsTest, OneTransactionTaggedAndOwned) {
  const json ops = CreateInternalPortOperations({.name = "vlan10-host",
                                                 .bridge = "br0",
                                                 .vlan_id = 10,
                                                 .network = "vlan.10",
                                                 .address = "10.0.10.5/24"});
  EXPECT_EQ(ops, json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br0"]],
     "columns": ["name"], "until": "==", "rows": [{"name": "br0"}]},
    {"op": "insert", "table": "Interface", "uuid-name": "iface",
     "row": {"name": "vlan10-host", "type": "internal",
             "external_ids": ["map", [["address", "10.0.10.5/24"], ["kind", "internal-port"],
                                      ["name", "vlan10-host"], ["network", "vlan.10"],
                                      ["owner", "hvagent"]]]}},
    {"op": "insert", "table": "Port", "uuid-name": "port",
     "row": {"name": "vlan10-host", "vlan_mode": "access", "tag": 10,
             "interfaces": ["named-uuid", "iface"],
             "external_ids": ["map", [["address", "10.0.10.5/24"], ["kind", "internal-port"],
                                      ["name", "vlan10-host"], ["network", "vlan.10"],
                                      ["owner", "hvagent"]]]}},
    {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
     "mutations": [["ports", "insert", ["set", [["named-uuid", "port"]]]]]}
  ])"));
}

}  // namespace
}  // namespace hvagent::network
