// VXLAN tunnels on the real OVS: two testbeds stand in for two hosts, each
// with its own ovs-vswitchd in its own network namespace, joined by a veth
// "underlay". Userspace (netdev) VXLAN needs the underlay address on a
// bridge's internal port, so each host has a bridge brul holding its veth end
// and the address. A namespace on br0 behind each host pings the other only
// through the tunnels the agent's TunnelManager made.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "hvagent/network/tunnel.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

class TunnelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = StartOrFail<Testbed>();
    ASSERT_NE(a_, nullptr);
    b_ = StartOrFail<Testbed>();
    ASSERT_NE(b_, nullptr);
    RunOrFail({"ip", "link", "add", "ula", "netns", a_->netns(), "type", "veth", "peer", "name",
               "ulb", "netns", b_->netns()});
    SetUpHost(*a_, "ula", "172.31.0.1/24", "10.9.0.1/24", "pa");
    SetUpHost(*b_, "ulb", "172.31.0.2/24", "10.9.0.2/24", "pb");
    ovsdb_a_ = a_->OvsdbClient();
    ASSERT_NE(ovsdb_a_, nullptr) << "the OVSDB client of A did not connect";
    ovsdb_b_ = b_->OvsdbClient();
    ASSERT_NE(ovsdb_b_, nullptr) << "the OVSDB client of B did not connect";
    tunnels_a_ = std::make_unique<network::TunnelManager>(*ovsdb_a_);
    tunnels_b_ = std::make_unique<network::TunnelManager>(*ovsdb_b_);
  }

  // Test-side plumbing of one "host": underlay bridge with the veth end and the
  // underlay address, br0 with a namespace on an access port.
  static void SetUpHost(Testbed& bed, const std::string& underlay, const std::string& underlay_ip,
                        const std::string& host_ip, const std::string& port) {
    ASSERT_TRUE(bed.AddNetdevBridge("brul"));
    ASSERT_TRUE(bed.AddNetdevBridge("br0"));
    ASSERT_TRUE(bed.Vsctl({"add-port", "brul", underlay}).ok());
    RunOrFail({"ip", "-n", bed.netns(), "link", "set", underlay, "up"});
    RunOrFail({"ip", "-n", bed.netns(), "addr", "add", underlay_ip, "dev", "brul"});
    RunOrFail({"ip", "-n", bed.netns(), "link", "set", "brul", "up"});
    std::string error;
    ASSERT_TRUE(bed.AddHostNamespace("h", "eth0", host_ip, port, &error)) << error;
    ASSERT_TRUE(bed.Vsctl({"add-port", "br0", port}).ok());
  }

  bool PingBOnce() { return a_->ExecIn("h", {"ping", "-c", "1", "-W", "1", "10.9.0.2"}).ok(); }
  // Polls: the switches apply OVSDB changes asynchronously.
  bool PingBecomes(bool reachable) {
    const auto deadline = steady_clock::now() + seconds(60);
    while (steady_clock::now() < deadline) {
      if (PingBOnce() == reachable) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::unique_ptr<Testbed> a_, b_;
  std::unique_ptr<ovsdb::Client> ovsdb_a_, ovsdb_b_;
  std::unique_ptr<network::TunnelManager> tunnels_a_, tunnels_b_;
};

TEST_F(TunnelTest, TwoHostsBecomeOneSwitchOnlyThroughAMatchingTunnel) {
  // The underlay works, but br0 on A and br0 on B are not joined yet.
  ASSERT_TRUE(a_->Exec({"ping", "-c", "1", "-W", "5", "172.31.0.2"}).ok());
  EXPECT_FALSE(PingBOnce());

  const network::TunnelSpec to_b{
      .name = "vx-b", .bridge = "br0", .remote_ip = "172.31.0.2", .vni = 5000};
  const network::TunnelSpec to_a{
      .name = "vx-a", .bridge = "br0", .remote_ip = "172.31.0.1", .vni = 5000};
  ASSERT_TRUE(tunnels_a_->Create(to_b).ok());
  ASSERT_TRUE(tunnels_b_->Create(to_a).ok());
  EXPECT_TRUE(tunnels_a_->Create(to_b).ok());  // the same spec again: nothing to do
  EXPECT_TRUE(PingBecomes(true)) << "no ping across the tunnel";

  EXPECT_EQ(a_->Vsctl({"get", "Interface", "vx-b", "type"}).out, "vxlan\n");
  EXPECT_EQ(a_->Vsctl({"get", "Interface", "vx-b", "options:key"}).out, "\"5000\"\n");
  EXPECT_EQ(a_->Vsctl({"get", "Port", "vx-b", "external_ids:owner"}).out, "hvagent\n");
  auto listed = tunnels_a_->List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), to_b);  // rebuilt from OVSDB alone

  // Another VNI on one side: the two switches are apart again.
  EXPECT_EQ(
      tunnels_b_->Create({.name = "vx-a", .bridge = "br0", .remote_ip = "172.31.0.1", .vni = 5001})
          .code(),
      absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(tunnels_b_->Delete("vx-a").ok());
  ASSERT_TRUE(
      tunnels_b_->Create({.name = "vx-a", .bridge = "br0", .remote_ip = "172.31.0.1", .vni = 5001})
          .ok());
  EXPECT_TRUE(PingBecomes(false)) << "a VNI mismatch still forwards";

  ASSERT_TRUE(tunnels_a_->Delete("vx-b").ok());
  EXPECT_FALSE(a_->Vsctl({"get", "Port", "vx-b", "name"}).ok());
  EXPECT_EQ(tunnels_a_->Delete("vx-b").code(), absl::StatusCode::kNotFound);
  listed = tunnels_a_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(TunnelTest, RowsTheAgentDidNotMakeAreLeftAlone) {
  ASSERT_TRUE(a_->Vsctl({"add-port", "br0", "vx-foreign", "--", "set", "Interface", "vx-foreign",
                         "type=vxlan", "options:remote_ip=172.31.0.9", "options:key=7"})
                  .ok());
  EXPECT_EQ(tunnels_a_->Delete("vx-foreign").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      tunnels_a_
          ->Create({.name = "vx-foreign", .bridge = "br0", .remote_ip = "172.31.0.9", .vni = 7})
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(a_->Vsctl({"get", "Port", "vx-foreign", "name"}).ok());
  auto listed = tunnels_a_->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());  // not the agent's, so not listed as its tunnel

  const Status missing =
      tunnels_a_->Create({.name = "vx-x", .bridge = "br9", .remote_ip = "172.31.0.2", .vni = 1});
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition) << missing;
  EXPECT_NE(MessageOf(missing).find("br9"), std::string::npos) << missing;
  EXPECT_FALSE(a_->Vsctl({"get", "Port", "vx-x", "name"}).ok());
  EXPECT_EQ(tunnels_a_->Create({.name = "vx-x", .bridge = "br0", .remote_ip = "300.1.1.1"}).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvagent::testing
