// Address parsing for rtnetlink calls and the virbr0 configuration.
#include <gtest/gtest.h>

#include "hvagent/network/linux_bridge.h"
#include "hvagent/network/netlink.h"

namespace hvagent::network {
namespace {

TEST(Ipv4PrefixTest, ParsesAndPrints) {
  auto p = ParseIpv4Prefix("address", "192.168.5.1/24");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->address, 0xC0A80501u);
  EXPECT_EQ(p->prefix_len, 24);
  EXPECT_EQ(p->ToString(), "192.168.5.1/24");
  EXPECT_EQ(p->Network(), 0xC0A80500u);
  EXPECT_EQ(ParseIpv4Prefix("a", "0.0.0.0/0")->Network(), 0u);
  for (const char* bad : {"192.168.5.1", "192.168.5.1/", "192.168.5.1/33", "192.168.5/24",
                          "fd00::1/64", "192.168.5.1/2x", "/24", ""}) {
    const Status s = ParseIpv4Prefix("address", bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(MessageOf(s).find("address:"), std::string::npos) << s;
  }
}

TEST(LinuxBridgeSpecTest, SubnetGivesTheHostTheFirstAddress) {
  auto spec = ParseLinuxBridgeSpec("virbr0", "network.internal_cidr", "192.168.5.0/24");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->host.ToString(), "192.168.5.1/24");
  spec = ParseLinuxBridgeSpec("virbr0", "network.internal_cidr", "10.9.0.254/16");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->host.ToString(), "10.9.0.254/16");
  EXPECT_EQ(LinuxBridgeSpec{}.host.ToString(), "192.168.5.1/24");  // the default
}

TEST(LinuxBridgeSpecTest, RejectsUnusableSubnets) {
  for (const char* bad : {"192.168.5.0/31", "192.168.5.0/4", "192.168.5.255/24", "nonsense"}) {
    const Status s = ParseLinuxBridgeSpec("virbr0", "network.internal_cidr", bad).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(MessageOf(s).find("network.internal_cidr:"), std::string::npos) << s;
  }
  EXPECT_EQ(ParseLinuxBridgeSpec("", "f", "192.168.5.0/24").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvagent::network
