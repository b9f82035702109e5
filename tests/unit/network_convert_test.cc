// NetworkService's conversions (api/network_convert.cc): specs survive the
// round trip through the network module's types, defaults are filled, and
// enum values this agent does not know are refused naming the field.
#include "hvagent/api/network_convert.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

using google::protobuf::util::MessageDifferencer;
using ::testing::StartsWith;

v1::BondSpec LacpBond() {
  v1::BondSpec spec;
  spec.add_members("eth1");
  spec.add_members("eth2");
  spec.set_mode(v1::BOND_MODE_BALANCE_TCP);
  spec.set_lacp(v1::LACP_MODE_ACTIVE);
  spec.set_lacp_time(v1::LACP_TIME_FAST);
  spec.set_lacp_fallback_active_backup(true);
  spec.set_rebalance_interval_ms(5000);
  return spec;
}

TEST(NetworkConvertTest, BondSpecSurvivesTheRoundTrip) {
  const v1::BondSpec in = LacpBond();
  auto spec = BondSpecFromProto(in);
  ASSERT_TRUE(spec.ok()) << spec.status();
  network::BondStatus status{.name = "br0-up", .bridge = "br0", .spec = *spec};
  status.members.push_back({.name = "eth1", .enabled = true, .carrier = true, .active = true});
  status.active_member = "eth1";
  v1::Bond out;
  BondToProto(status, &out);
  EXPECT_TRUE(MessageDifferencer::Equals(in, out.spec())) << out.spec().DebugString();
  EXPECT_EQ(out.name(), "br0-up");
  EXPECT_EQ(out.active_member(), "eth1");
  ASSERT_EQ(out.members_size(), 1);
  EXPECT_TRUE(out.members(0).carrier());
}

TEST(NetworkConvertTest, BondDefaultsAreActiveBackupWithoutLacp) {
  v1::BondSpec in;
  in.add_members("eth1");
  in.add_members("eth2");
  auto spec = BondSpecFromProto(in);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->mode, network::BondMode::kActiveBackup);
  EXPECT_EQ(spec->lacp, network::LacpMode::kOff);
  EXPECT_EQ(spec->lacp_time, network::LacpTime::kSlow);
}

TEST(NetworkConvertTest, UnknownBondEnumsAreRefusedNamingTheField) {
  for (const auto& [mutate, field] : std::vector<std::pair<void (*)(v1::BondSpec&), std::string>>{
           {[](v1::BondSpec& s) { s.set_mode(static_cast<v1::BondMode>(99)); }, "spec.mode: "},
           {[](v1::BondSpec& s) { s.set_lacp(static_cast<v1::LacpMode>(99)); }, "spec.lacp: "},
           {[](v1::BondSpec& s) { s.set_lacp_time(static_cast<v1::LacpTime>(99)); },
            "spec.lacp_time: "}}) {
    v1::BondSpec spec = LacpBond();
    mutate(spec);
    auto parsed = BondSpecFromProto(spec);
    ASSERT_FALSE(parsed.ok()) << field;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), StartsWith(field));
  }
  EXPECT_EQ(DatapathName(static_cast<v1::DatapathType>(42)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NetworkConvertTest, DatapathsMapBothWays) {
  for (const v1::DatapathType type : {v1::DATAPATH_TYPE_SYSTEM, v1::DATAPATH_TYPE_NETDEV}) {
    auto name = DatapathName(type);
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(DatapathToProto(*name), type);
  }
  EXPECT_EQ(*DatapathName(v1::DATAPATH_TYPE_UNSPECIFIED), "") << "the agent's default";
}

TEST(NetworkConvertTest, TunnelAndMirrorSurviveTheRoundTrip) {
  v1::Tunnel tunnel;
  tunnel.set_name("vx-host2");
  tunnel.set_bridge("br0");
  tunnel.set_remote_ip("192.0.2.2");
  tunnel.set_vni(5001);
  tunnel.set_dst_port(4790);
  tunnel.set_local_ip("192.0.2.1");
  v1::Tunnel tunnel_out;
  TunnelToProto(TunnelFromProto(tunnel), &tunnel_out);
  EXPECT_TRUE(MessageDifferencer::Equals(tunnel, tunnel_out)) << tunnel_out.DebugString();

  v1::Mirror mirror;
  mirror.set_name("span1");
  mirror.set_bridge("br0");
  mirror.add_select_src_ports("hvt1");
  mirror.add_select_dst_ports("hvt2");
  mirror.add_select_vlans(10);
  mirror.set_output_port("mon0");
  v1::Mirror mirror_out;
  MirrorToProto(MirrorFromProto(mirror), &mirror_out);
  EXPECT_TRUE(MessageDifferencer::Equals(mirror, mirror_out)) << mirror_out.DebugString();
}

TEST(NetworkConvertTest, AnEmptyBridgeIsBr0) {
  v1::Tunnel tunnel;
  tunnel.set_name("vx1");
  EXPECT_EQ(TunnelFromProto(tunnel).bridge, "br0");
  v1::Mirror mirror;
  mirror.set_name("m1");
  EXPECT_EQ(MirrorFromProto(mirror).bridge, "br0");
}

}  // namespace
}  // namespace hvagent::api
