// VXLAN tunnel specs: validation rules and the OVSDB transaction (golden file).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hvagent/network/tunnel.h"
#include "hvagent_test/golden.h"

namespace hvagent::network {
namespace {

using hvagent::testing::GoldenJson;

using nlohmann::json;

TunnelSpec Valid() {
  return {.name = "vx-host2", .bridge = "br0", .remote_ip = "10.1.0.2", .vni = 5000};
}

TEST(TunnelSpecTest, AValidSpecPasses) {
  EXPECT_TRUE(ValidateTunnelSpec(Valid()).ok());
  TunnelSpec v6 = Valid();
  v6.remote_ip = "fd00::2";
  v6.local_ip = "fd00::1";
  v6.vni = kMaxVni;
  v6.dst_port = 8472;
  EXPECT_TRUE(ValidateTunnelSpec(v6).ok());
  TunnelSpec zero = Valid();
  zero.vni = 0;
  EXPECT_TRUE(ValidateTunnelSpec(zero).ok());
}

void ExpectInvalid(const TunnelSpec& spec, const std::string& field) {
  const Status s = ValidateTunnelSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_NE(MessageOf(s).find(field + ":"), std::string::npos) << s;
}

TEST(TunnelSpecTest, BadFieldsAreNamed) {
  TunnelSpec s = Valid();
  s.vni = kMaxVni + 1;
  ExpectInvalid(s, "vni");
  s = Valid();
  s.remote_ip = "10.1.0.256";
  ExpectInvalid(s, "remote_ip");
  s.remote_ip = "host2.example";  // names are not resolved
  ExpectInvalid(s, "remote_ip");
  s.remote_ip = "";
  ExpectInvalid(s, "remote_ip");
  // Addresses that name no single peer.
  for (const char* not_unicast :
       {"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "::", "ff02::1"}) {
    s.remote_ip = not_unicast;
    ExpectInvalid(s, "remote_ip");
    s = Valid();
    s.local_ip = not_unicast;
    if (std::string(not_unicast).find(':') != std::string::npos) s.remote_ip = "fd00::2";
    ExpectInvalid(s, "local_ip");
    s = Valid();
  }
  s.remote_ip = "10.255.255.255";  // a subnet's broadcast is not knowable here: allowed
  EXPECT_TRUE(ValidateTunnelSpec(s).ok());
  s = Valid();
  s = Valid();
  s.local_ip = "fd00::1";  // IPv6 local, IPv4 remote
  ExpectInvalid(s, "local_ip");
  s.local_ip = "1.2.3";
  ExpectInvalid(s, "local_ip");
  s = Valid();
  s.dst_port = 65536;
  ExpectInvalid(s, "dst_port");
  s = Valid();
  s.name = "a-name-that-is-too-long";
  ExpectInvalid(s, "name");
  s = Valid();
  s.bridge = "";
  ExpectInvalid(s, "bridge");
}

TEST(TunnelOperationsTest, MinimalTunnelMatchesGolden) {
  EXPECT_EQ(CreateTunnelOperations(Valid()), GoldenJson("network/tunnel-minimal.json"));
}

TEST(TunnelOperationsTest, OptionalLocalIpAndPortBecomeOptions) {
  TunnelSpec spec = Valid();
  spec.local_ip = "10.1.0.1";
  spec.dst_port = 8472;
  const json ops = CreateTunnelOperations(spec);
  EXPECT_EQ(ops[1]["row"]["options"], json::parse(R"(["map", [["dst_port", "8472"], ["key", "5000"],
                                    ["local_ip", "10.1.0.1"], ["remote_ip", "10.1.0.2"]]])"));
}

}  // namespace
}  // namespace hvagent::network
