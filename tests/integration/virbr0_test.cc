// virbr0 in a testbed namespace: the Linux bridge made over rtnetlink,
// idempotently, with the host address; a tap and a namespace's veth attached;
// the "CVM" namespace reaches the host address through it.
#include <gtest/gtest.h>

#include "hvagent/network/linux_bridge.h"
#include "hvagent/network/netlink.h"
#include "hvagent/network/tap_device.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using Virbr0Test = SharedSwitchTest;

TEST_F(Virbr0Test, CreatedIdempotentlyWithTheHostAddressAndPortsAttached) {
  const network::LinuxBridgeSpec spec;  // virbr0, 192.168.5.1/24
  ASSERT_TRUE(network::LinuxBridge::Ensure(spec).ok());
  ASSERT_TRUE(network::LinuxBridge::Ensure(spec).ok());  // again: nothing changes

  const std::string link = bed_->Exec({"ip", "-d", "link", "show", "virbr0"}).out;
  EXPECT_NE(link.find("bridge"), std::string::npos) << link;
  EXPECT_NE(link.find("UP"), std::string::npos) << link;
  const std::string addr = bed_->Exec({"ip", "-4", "addr", "show", "virbr0"}).out;
  EXPECT_NE(addr.find("192.168.5.1/24"), std::string::npos) << addr;
  // One address, not one per Ensure.
  EXPECT_EQ(addr.find("inet "), addr.rfind("inet ")) << addr;

  // The CVM's second NIC is a tap; attach it.
  ASSERT_TRUE(network::TapDevice::Create("cvmtap1").ok());
  ASSERT_TRUE(network::LinuxBridge::Attach("virbr0", "cvmtap1").ok());
  EXPECT_NE(bed_->Exec({"ip", "link", "show", "cvmtap1"}).out.find("master virbr0"),
            std::string::npos);

  // A namespace standing in for the CVM reaches the host over the bridge.
  std::string error;
  ASSERT_TRUE(bed_->AddHostNamespace("cvm", "eth1", "192.168.5.2/24", "cvmveth", &error)) << error;
  ASSERT_TRUE(network::LinuxBridge::Attach("virbr0", "cvmveth").ok());
  EXPECT_TRUE(bed_->ExecIn("cvm", {"ping", "-c", "1", "-W", "10", "192.168.5.1"}).ok());

  auto state = network::LinuxBridge::Describe(spec);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->name, "virbr0");
  EXPECT_EQ(state->subnet, "192.168.5.0/24");
  EXPECT_EQ(state->host_address, "192.168.5.1");
  EXPECT_EQ(state->ports, (std::vector<std::string>{"cvmtap1", "cvmveth"}));
  ASSERT_TRUE(network::TapDevice::Delete("cvmtap1").ok());
}

TEST_F(Virbr0Test, ConfiguredSubnetAndANameTakenByAnotherKindOfLink) {
  auto spec = network::ParseLinuxBridgeSpec("virbr9", "network.internal_cidr", "10.77.0.0/16");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(network::LinuxBridge::Ensure(*spec).ok());
  EXPECT_NE(bed_->Exec({"ip", "-4", "addr", "show", "virbr9"}).out.find("10.77.0.1/16"),
            std::string::npos);

  ASSERT_TRUE(network::TapDevice::Create("notabr0").ok());
  network::LinuxBridgeSpec taken;
  taken.name = "notabr0";
  const Status s = network::LinuxBridge::Ensure(taken);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(bed_->Exec({"ip", "-4", "addr", "show", "notabr0"}).out.find("192.168.5.1"),
            std::string::npos);  // left alone
  EXPECT_EQ(network::LinuxBridge::Describe({.name = "virbr7"}).status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(network::TapDevice::Delete("notabr0").ok());
}

}  // namespace
}  // namespace hvagent::testing
