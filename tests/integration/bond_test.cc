// Bridges and the br0-up bond against the testbed's real OVS, with real
// packets. Physical NICs are veth pairs: the agent's bond takes one end (upN),
// the other end (swN) is the "switch" side: a Linux bridge, a second OVS bridge
// with an LACP bond, or nothing (to count what arrives per member). A host
// namespace sits behind the switch and a "VM" namespace behind an access port
// on br0, so ping crosses the bond.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/switch_rows.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using network::BondMode;
using network::BondSpec;
using network::BondStatus;
using network::LacpMode;
using network::LacpTime;

class BondTest : public SharedSwitchTest {
 protected:
  void SetUp() override {
    SharedSwitchTest::SetUp();
    if (HasFatalFailure()) return;
    std::string error;
    bridges_ = std::make_unique<network::BridgeManager>(*ovsdb_, "netdev");
    bonds_ = std::make_unique<network::BondManager>(*ovsdb_);
    auto created = bridges_->Create("br0");
    ASSERT_TRUE(created.ok()) << created.status();
    for (int i = 0; i < 3; ++i) {
      const std::string up = "up" + std::to_string(i);
      const std::string sw = "sw" + std::to_string(i);
      ASSERT_TRUE(Ip({"link", "add", up, "type", "veth", "peer", "name", sw}));
      ASSERT_TRUE(Ip({"link", "set", up, "up"}));
      ASSERT_TRUE(Ip({"link", "set", sw, "up"}));
    }
    // The "VM": an access port on br0.
    ASSERT_TRUE(bed_->AddHostNamespace("vm", "eth0", "10.77.0.1/24", "vmp", &error)) << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "vmp"}).ok());
    // ovs-vswitchd has opened the ports once they have an OpenFlow number.
    for (const char* port : {"br0", "vmp"}) {
      ASSERT_TRUE(Eventually([&] {
        const std::string ofport = bed_->Vsctl({"get", "Interface", port, "ofport"}).out;
        return !ofport.empty() && ofport[0] >= '1' && ofport[0] <= '9';
      })) << port
          << " never attached";
    }
  }

  bool Ip(std::vector<std::string> args) {
    args.insert(args.begin(), "ip");
    const ProcessResult r = bed_->Exec(args);
    if (!r.ok()) ADD_FAILURE() << "ip " << args[1] << " " << args[2] << ": " << r.err;
    return r.ok();
  }

  // A Linux bridge joining sw0 and sw1 with the host namespace (10.77.0.2).
  void LinuxSwitch() {
    std::string error;
    ASSERT_TRUE(Ip({"link", "add", "swlb", "type", "bridge"}));
    ASSERT_TRUE(Ip({"link", "set", "swlb", "up"}));
    ASSERT_TRUE(bed_->AddHostNamespace("host", "eth0", "10.77.0.2/24", "hostp", &error)) << error;
    for (const char* port : {"sw0", "sw1", "hostp"}) {
      ASSERT_TRUE(Ip({"link", "set", port, "master", "swlb"}));
    }
  }

  // A second OVS bridge whose bond of sw0 and sw1 runs LACP, with the host
  // namespace (10.77.0.2) on it: the LACP partner.
  void OvsLacpSwitch() {
    std::string error;
    ASSERT_TRUE(bed_->AddNetdevBridge("swbr"));
    ASSERT_TRUE(bed_->Vsctl({"add-bond", "swbr", "sw-bond", "sw0", "sw1", "bond_mode=balance-tcp",
                             "lacp=active", "other_config:lacp-time=fast"})
                    .ok());
    ASSERT_TRUE(bed_->AddHostNamespace("host", "eth0", "10.77.0.2/24", "hostp", &error)) << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", "swbr", "hostp"}).ok());
  }

  bool PingHost() { return bed_->ExecIn("vm", {"ping", "-c", "1", "-W", "1", "10.77.0.2"}).ok(); }

  BondStatus BondNow(const std::string& name = "br0-up") {
    auto status = bonds_->Get(name);
    EXPECT_TRUE(status.ok()) << status.status();
    return status.ok() ? *status : BondStatus{};
  }

  uint64_t RxPackets(const std::string& ifname) {
    const ProcessResult r =
        bed_->Exec({"cat", "/sys/class/net/" + ifname + "/statistics/rx_packets"});
    return r.ok() ? std::stoull(r.out) : 0;
  }

  std::unique_ptr<network::BridgeManager> bridges_;
  std::unique_ptr<network::BondManager> bonds_;
};

TEST_F(BondTest, ActiveBackupFailoverKeepsTrafficFlowingOnTheOtherMember) {
  LinuxSwitch();
  auto created = bonds_->Create("br0-up", "br0", {.members = {"up0", "up1"}});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->spec.mode, BondMode::kActiveBackup);
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "br0-up", "external_ids:owner"}).out, "hvagent\n");
  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "up0", "external_ids:kind"}).out, "bond-member\n");

  ASSERT_TRUE(Eventually([&] { return !BondNow().active_member.empty(); })) << "no active member";
  ASSERT_TRUE(Eventually([&] { return PingHost(); })) << "no traffic through the bond";
  const std::string first = BondNow().active_member;
  const std::string second = first == "up0" ? "up1" : "up0";
  const std::string first_peer = first == "up0" ? "sw0" : "sw1";
  const std::string second_peer = first == "up0" ? "sw1" : "sw0";

  // The switch side of the active member's link goes down.
  ASSERT_TRUE(Ip({"link", "set", first_peer, "down"}));
  ASSERT_TRUE(Eventually([&] {
    const BondStatus s = BondNow();
    return s.active_member == second && s.members.size() == 2 &&
           !s.members[first == "up0" ? 0 : 1].carrier;
  })) << "status never showed "
      << second << " active";
  const BondStatus after = BondNow();
  for (const auto& m : after.members) {
    EXPECT_EQ(m.active, m.name == second) << m.name;
    EXPECT_EQ(m.enabled, m.name == second) << m.name;
  }
  // Traffic continues, and it crosses the surviving member.
  const uint64_t before = RxPackets(second_peer);
  ASSERT_TRUE(Eventually([&] { return PingHost(); })) << "traffic stopped after failover";
  EXPECT_GT(RxPackets(second_peer), before);
}

TEST_F(BondTest, BalanceSlbSpreadsSourceMacsAcrossMembers) {
  // Nothing behind sw0/sw1: what arrives there is exactly what the bond sent.
  auto created =
      bonds_->Create("br0-up", "br0", {.members = {"up0", "up1"}, .mode = BondMode::kBalanceSlb});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "br0-up", "bond_mode"}).out, "balance-slb\n");
  ASSERT_TRUE(Eventually([&] {
    const BondStatus s = BondNow();
    return s.members.size() == 2 && s.members[0].enabled && s.members[1].enabled;
  }));

  // Broadcast frames from 16 source MACs, 25 each, sent from the VM side.
  const std::string sender = R"(
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for i in range(16):
    src = bytes([0x02, 0x42, 0x00, 0x00, 0x10, i])
    for _ in range(25):
        s.send(b"\xff" * 6 + src + b"\x88\xb5" + b"hvagent-slb-test".ljust(46, b"."))
)";
  // Sends rounds of the 400 frames until 400 have arrived on the far ends
  // (a busy ovs-vswitchd may still be attaching ports), and counts per member.
  auto send_and_count = [&](uint64_t* on0, uint64_t* on1) {
    const uint64_t a0 = RxPackets("sw0");
    const uint64_t a1 = RxPackets("sw1");
    auto arrived = [&] { return RxPackets("sw0") - a0 + RxPackets("sw1") - a1; };
    for (int round = 0; round < 5 && arrived() < 400; ++round) {
      const ProcessResult r = bed_->ExecIn("vm", {"/usr/bin/python3", "-c", sender});
      ASSERT_TRUE(r.ok()) << r.err;
      Eventually([&] { return arrived() >= 400; }, "400 packets", std::chrono::seconds(15));
    }
    ASSERT_GE(arrived(), 400u) << "frames lost: vmp received " << RxPackets("vmp") << "\n"
                               << RunProcess({"ovs-appctl", "-t",
                                              bed_->state_dir() + "/ovs/ovs-vswitchd.ctl",
                                              "bond/show"})
                                      .out
                               << bed_->Vsctl({"show"}).out;
    *on0 = RxPackets("sw0") - a0;
    *on1 = RxPackets("sw1") - a1;
  };
  uint64_t on0 = 0;
  uint64_t on1 = 0;
  send_and_count(&on0, &on1);
  // Both members carry a fair share of the sources.
  EXPECT_GT(on0, (on0 + on1) / 8) << "up0 carried " << on0 << ", up1 " << on1;
  EXPECT_GT(on1, (on0 + on1) / 8) << "up0 carried " << on0 << ", up1 " << on1;

  // The same traffic in active-backup (changed in place) uses one member only.
  auto updated = bonds_->Update("br0-up", {.members = {"up0", "up1"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_TRUE(Eventually([&] { return !BondNow().active_member.empty(); }));
  send_and_count(&on0, &on1);
  EXPECT_LT(std::min(on0, on1), (on0 + on1) / 20) << "up0 carried " << on0 << ", up1 " << on1;
}

TEST_F(BondTest, LacpNegotiatesWithAnLacpPeer) {
  OvsLacpSwitch();
  auto created = bonds_->Create("br0-up", "br0",
                                {.members = {"up0", "up1"},
                                 .mode = BondMode::kBalanceTcp,
                                 .lacp = LacpMode::kActive,
                                 .lacp_time = LacpTime::kFast});
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(Eventually([&] {
    const BondStatus s = BondNow();
    return s.lacp_status == "negotiated" && s.members.size() == 2 &&
           s.members[0].lacp_state == "current" && s.members[1].lacp_state == "current";
  })) << "LACP never negotiated: "
      << BondNow().lacp_status;
  for (const auto& m : BondNow().members) EXPECT_TRUE(m.enabled) << m.name;
  EXPECT_TRUE(Eventually([&] { return PingHost(); })) << "no traffic over the LACP bond";
}

TEST_F(BondTest, LacpFallsBackToActiveBackupAgainstAPeerWithoutLacp) {
  LinuxSwitch();
  BondSpec spec{.members = {"up0", "up1"},
                .lacp = LacpMode::kActive,
                .lacp_time = LacpTime::kFast,
                .lacp_fallback_active_backup = true};
  auto created = bonds_->Create("br0-up", "br0", spec);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(Eventually([&] { return PingHost(); })) << "no traffic with LACP fallback";
  BondStatus s = BondNow();
  EXPECT_EQ(s.lacp_status, "configured");
  EXPECT_FALSE(s.active_member.empty());
  for (const auto& m : s.members) EXPECT_EQ(m.lacp_state, "not-current") << m.name;

  // Without the fallback, a bond whose partner never answers carries nothing.
  spec.lacp_fallback_active_backup = false;
  auto updated = bonds_->Update("br0-up", spec);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(Eventually([&] { return !PingHost(); })) << "traffic flowed without fallback";
  s = BondNow();
  for (const auto& m : s.members) EXPECT_FALSE(m.enabled) << m.name;
}

TEST_F(BondTest, UpdateChangesMembersAndModeInPlace) {
  auto created = bonds_->Create("br0-up", "br0", {.members = {"up0", "up1"}});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string port_uuid = bed_->Vsctl({"get", "Port", "br0-up", "_uuid"}).out;
  const std::string up1_uuid = bed_->Vsctl({"get", "Interface", "up1", "_uuid"}).out;

  auto updated = bonds_->Update(
      "br0-up",
      {.members = {"up1", "up2"}, .mode = BondMode::kBalanceSlb, .rebalance_interval_ms = 2000});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->spec.members, (std::vector<std::string>{"up1", "up2"}));
  EXPECT_EQ(updated->spec.mode, BondMode::kBalanceSlb);
  EXPECT_EQ(updated->spec.rebalance_interval_ms, 2000u);
  // The same Port row and the kept member's Interface row: no flap.
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "br0-up", "_uuid"}).out, port_uuid);
  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "up1", "_uuid"}).out, up1_uuid);
  EXPECT_FALSE(bed_->Vsctl({"get", "Interface", "up0", "name"}).ok()) << "up0 is still a member";
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "br0-up", "other_config:bond-rebalance-interval"}).out,
            "\"2000\"\n");

  // up0 is free again: it can join another bond.
  ASSERT_TRUE(bridges_->Create("br1").ok());
  ASSERT_TRUE(Ip({"link", "add", "up3", "type", "veth", "peer", "name", "sw3"}));
  auto second = bonds_->Create("br1-up", "br1", {.members = {"up0", "up3"}});
  EXPECT_TRUE(second.ok()) << second.status();

  ASSERT_TRUE(bonds_->Delete("br0-up").ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "br0-up", "name"}).ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Interface", "up1", "name"}).ok());
  EXPECT_EQ(bonds_->Get("br0-up").status().code(), absl::StatusCode::kNotFound);
  auto list = bonds_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "br1-up");
  EXPECT_EQ((*list)[0].bridge, "br1");
}

TEST_F(BondTest, RefusalsNameTheRuleAndChangeNothing) {
  ASSERT_TRUE(bonds_->Create("br0-up", "br0", {.members = {"up0", "up1"}}).ok());
  // Rows the agent does not own: a bridge with a port, and a bond.
  ASSERT_TRUE(bed_->AddNetdevBridge("brx"));
  ASSERT_TRUE(bed_->Vsctl({"add-port", "brx", "up2"}).ok());
  ASSERT_TRUE(Ip({"link", "add", "up4", "type", "veth", "peer", "name", "sw4"}));
  ASSERT_TRUE(Ip({"link", "add", "up5", "type", "veth", "peer", "name", "sw5"}));
  ASSERT_TRUE(bed_->Vsctl({"add-bond", "brx", "foreign-bond", "up4", "up5"}).ok());
  ASSERT_TRUE(Ip({"link", "add", "up6", "type", "veth", "peer", "name", "sw6"}));
  ASSERT_TRUE(Ip({"link", "add", "lbr0", "type", "bridge"}));
  const std::string before = SwitchRows(bed_->ovsdb_socket());

  struct Refusal {
    const char* what;
    std::function<Status()> call;
    absl::StatusCode code;
    const char* message;
  };
  // A refused create or update: the call, for the table below.
  const auto create = [&](const std::string& name, const std::string& bridge, BondSpec spec) {
    return [&, name, bridge, spec] { return bonds_->Create(name, bridge, spec).status(); };
  };
  const auto update = [&](const std::string& name, BondSpec spec) {
    return [&, name, spec] { return bonds_->Update(name, spec).status(); };
  };
  const std::vector<Refusal> refusals = {
      {"one member", create("b1", "br0", {.members = {"up6"}}), absl::StatusCode::kInvalidArgument,
       "spec.members: a bond needs 2 to 8"},
      {"unknown NIC", create("b1", "br0", {.members = {"up6", "nosuchnic0"}}),
       absl::StatusCode::kFailedPrecondition, "'nosuchnic0' is not a network interface"},
      {"Linux bridge as a member", create("b1", "br0", {.members = {"up6", "lbr0"}}),
       absl::StatusCode::kFailedPrecondition, "'lbr0' is a bridge device, not a physical NIC"},
      {"NIC in another bridge", create("b1", "br0", {.members = {"up6", "up2"}}),
       absl::StatusCode::kFailedPrecondition, "'up2' is already in port 'up2' on bridge 'brx'"},
      {"NIC in another bond", create("b1", "br0", {.members = {"up6", "up1"}}),
       absl::StatusCode::kFailedPrecondition, "'up1' is already in bond 'br0-up'"},
      {"balance-tcp without LACP",
       create("b1", "br0", {.members = {"up6", "sw6"}, .mode = BondMode::kBalanceTcp}),
       absl::StatusCode::kInvalidArgument, "balance-tcp needs LACP"},
      {"duplicate member", create("b1", "br0", {.members = {"up6", "up6"}}),
       absl::StatusCode::kInvalidArgument, "listed twice"},
      {"missing bridge", create("b1", "br9", {.members = {"up6", "sw6"}}),
       absl::StatusCode::kFailedPrecondition, "bridge: 'br9' does not exist"},
      {"name taken", create("br0-up", "br0", {.members = {"up6", "sw6"}}),
       absl::StatusCode::kAlreadyExists, "br0-up"},
      {"update to an unknown NIC", update("br0-up", {.members = {"up0", "nosuchnic0"}}),
       absl::StatusCode::kFailedPrecondition, "'nosuchnic0' is not a network interface"},
      {"update taking another bond's NIC", update("br0-up", {.members = {"up0", "up4"}}),
       absl::StatusCode::kFailedPrecondition, "'up4' is already in bond 'foreign-bond'"},
      {"update of a bond the agent did not create",
       update("foreign-bond", {.members = {"up4", "up6"}}), absl::StatusCode::kFailedPrecondition,
       "not created by hvagent"},
      {"delete of a bond the agent did not create", [&] { return bonds_->Delete("foreign-bond"); },
       absl::StatusCode::kFailedPrecondition, "not created by hvagent"},
      {"delete of a bridge the agent did not create", [&] { return bridges_->Delete("brx"); },
       absl::StatusCode::kFailedPrecondition, "not created by hvagent"},
      {"bridge name taken", [&] { return bridges_->Create("brx").status(); },
       absl::StatusCode::kAlreadyExists, "already exists"},
      {"bad datapath type", [&] { return bridges_->Create("br5", "dpdk").status(); },
       absl::StatusCode::kInvalidArgument, "datapath_type"},
  };
  for (const Refusal& r : refusals) {
    const Status s = r.call();
    EXPECT_EQ(s.code(), r.code) << r.what << ": " << s;
    EXPECT_NE(MessageOf(s).find(r.message), std::string::npos) << r.what << ": " << s;
  }
  EXPECT_EQ(SwitchRows(bed_->ovsdb_socket()), before) << "a refusal changed the switch";
}

TEST_F(BondTest, BridgesAreCreatedListedAndDeletedOnlyWhenTheAgentOwnsThem) {
  // br0 was made by the fixture through the manager: its internal port exists
  // as a host interface once ovs-vswitchd has applied it.
  EXPECT_EQ(bed_->Vsctl({"get", "Bridge", "br0", "datapath_type"}).out, "netdev\n");
  EXPECT_EQ(bed_->Vsctl({"get", "Bridge", "br0", "external_ids:owner"}).out, "hvagent\n");
  EXPECT_TRUE(Eventually([&] { return bed_->Exec({"ip", "link", "show", "br0"}).ok(); }));
  auto br0 = bridges_->Get("br0");
  ASSERT_TRUE(br0.ok()) << br0.status();
  EXPECT_TRUE(br0->agent_owned);
  EXPECT_EQ(br0->datapath_type, "netdev");
  ASSERT_EQ(br0->ports.size(), 2u);  // br0 (internal) and vmp
  EXPECT_EQ(br0->ports[0].name, "br0");
  EXPECT_EQ(br0->ports[0].kind, network::PortKind::kInternal);
  EXPECT_TRUE(br0->ports[0].agent_owned);
  EXPECT_FALSE(br0->ports[1].agent_owned);

  // Ensure leaves an existing bridge alone and creates a missing one.
  auto ensured = bridges_->Ensure("br0");
  ASSERT_TRUE(ensured.ok()) << ensured.status();
  EXPECT_FALSE(*ensured);
  ensured = bridges_->Ensure("br2");
  ASSERT_TRUE(ensured.ok()) << ensured.status();
  EXPECT_TRUE(*ensured);
  EXPECT_TRUE(Eventually([&] { return bed_->Exec({"ip", "link", "show", "br2"}).ok(); }));

  auto list = bridges_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name, "br2");

  // A bridge with a VM NIC port stays.
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br2", "up0", "--", "set", "Port", "up0",
                           "external_ids:owner=hvagent", "external_ids:vm-uuid=u-1"})
                  .ok());
  Status s = bridges_->Delete("br2");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(MessageOf(s).find("VM NIC ports (up0)"), std::string::npos) << s;
  ASSERT_TRUE(bed_->Vsctl({"del-port", "br2", "up0"}).ok());

  // With only its own rows, it goes, and its internal interface with it.
  ASSERT_TRUE(bonds_->Create("br2-up", "br2", {.members = {"up0", "up1"}}).ok());
  s = bridges_->Delete("br2");
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(bed_->Vsctl({"br-exists", "br2"}).ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "br2-up", "name"}).ok());
  EXPECT_TRUE(Eventually([&] { return !bed_->Exec({"ip", "link", "show", "br2"}).ok(); }));
  EXPECT_EQ(bridges_->Delete("br2").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hvagent::testing
