// Internal ports on the real OVS: the agent's code makes the port over OVSDB
// and gives the kernel interface (made by ovs-vswitchd) its address over
// rtnetlink; a namespace on the same VLAN reaches it, one on another VLAN
// does not.
#include <gtest/gtest.h>

#include <chrono>

#include "hvagent/network/internal_port.h"
#include "hvagent/network/netlink.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/switch_rows.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

class InternalPortTest : public SharedBr0Test {
 protected:
  void SetUpOnBr0() override { ports_ = std::make_unique<network::InternalPortManager>(*ovsdb_); }

  ::testing::AssertionResult PingFrom(const std::string& suffix, bool reachable) {
    return Eventually(
        [&] {
          return bed_->ExecIn(suffix, {"ping", "-c", "1", "-W", "1", "10.5.0.1"}).ok() == reachable;
        },
        std::string(reachable ? "10.5.0.1 answering " : "10.5.0.1 silent to ") + suffix,
        std::chrono::seconds(60), std::chrono::milliseconds(200));
  }

  std::unique_ptr<network::InternalPortManager> ports_;
};

TEST_F(InternalPortTest, HostInterfaceOnAVlanWithItsAddress) {
  const network::InternalPortSpec spec{.name = "hvint10",
                                       .bridge = "br0",
                                       .vlan_id = 10,
                                       .network = "vlan.10",
                                       .address = "10.5.0.1/24"};
  ASSERT_TRUE(ports_->Create(spec).ok());
  EXPECT_TRUE(ports_->Create(spec).ok());  // a retry is fine

  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "hvint10", "type"}).out, "internal\n");
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "hvint10", "tag"}).out, "10\n");
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "hvint10", "external_ids:kind"}).out, "internal-port\n");
  auto nl = network::NetlinkSocket::Open();
  ASSERT_TRUE(nl.ok());
  auto addresses = nl->Ipv4Addresses("hvint10");
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ(addresses->front().ToString(), "10.5.0.1/24");
  EXPECT_NE(bed_->Exec({"ip", "addr", "show", "hvint10"}).out.find("10.5.0.1/24"),
            std::string::npos);

  // Same VLAN reaches the host interface; another VLAN does not.
  std::string error;
  ASSERT_TRUE(bed_->AddHostNamespace("v10", "eth0", "10.5.0.2/24", "pv10", &error)) << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "pv10", "tag=10"}).ok());
  ASSERT_TRUE(bed_->AddHostNamespace("v20", "eth0", "10.5.0.3/24", "pv20", &error)) << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "pv20", "tag=20"}).ok());
  EXPECT_TRUE(PingFrom("v10", true));
  EXPECT_FALSE(bed_->ExecIn("v20", {"ping", "-c", "2", "-W", "1", "10.5.0.1"}).ok());

  auto listed = ports_->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), spec);

  network::InternalPortSpec other = spec;
  other.vlan_id = 20;
  EXPECT_EQ(ports_->Create(other).code(), absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(ports_->Delete("hvint10").ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "hvint10", "name"}).ok());
  EXPECT_TRUE(Eventually([&] { return !nl->IndexOf("hvint10").ok(); },
                         "ovs-vswitchd removing the interface", std::chrono::seconds(60),
                         std::chrono::milliseconds(50)));
  EXPECT_EQ(ports_->Delete("hvint10").code(), absl::StatusCode::kNotFound);
}

TEST_F(InternalPortTest, ForeignPortsMissingBridgesAndBadInput) {
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "foreign0", "--", "set", "Interface", "foreign0",
                           "type=internal"})
                  .ok());
  EXPECT_EQ(ports_->Delete("foreign0").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ports_->Create({.name = "foreign0", .bridge = "br0"}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(bed_->Vsctl({"get", "Port", "foreign0", "name"}).ok());
  auto listed = ports_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());

  const std::string& ovsdb = bed_->ovsdb_socket();
  EXPECT_TRUE(RefusedWithoutChange(ovsdb, absl::StatusCode::kFailedPrecondition, [&] {
    return ports_->Create({.name = "hvint9", .bridge = "br9"});
  }));
  EXPECT_TRUE(RefusedWithoutChange(ovsdb, absl::StatusCode::kInvalidArgument, [&] {
    return ports_->Create({.name = "hvint9", .bridge = "br0", .address = "10.5.0.1"});
  }));
  EXPECT_TRUE(RefusedWithoutChange(ovsdb, absl::StatusCode::kFailedPrecondition,
                                   [&] { return ports_->Delete("foreign0"); }));
}

}  // namespace
}  // namespace hvagent::testing
