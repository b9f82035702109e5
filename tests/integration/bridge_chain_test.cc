// The bridge chain on the testbed with real packets: a port behind the chain
// (br0.local) reaches a peer on br0 through br.microseg and br.nf, counted on
// br.nf's patch ports, with VLAN isolation unchanged; a kDirectNic bypasses
// br.nf; a kNetworkFunctionNic is an isolated, role-tagged port on br.nf and
// binds its VM to the host; the chain comes back when part of it goes; and an
// agent started on the old layout (VM ports on br0) moves a running VM's port
// behind the chain, the traffic stop measured; a service chain takes a VM's
// traffic through a real processor VM, failing closed or open while that VM
// is off.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "hvagent_test/service_chain_request.h"
#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;

// What a long `ping -n` run saw: replies, the longest run of lost replies (by
// sequence number), and the largest RTT (a reply held up is late, not lost).
struct PingRun {
  int received = 0;
  int longest_lost = 0;
  double max_rtt_ms = 0;

  static PingRun Of(const std::string& out, int sent) {
    PingRun run;
    std::istringstream lines(out);
    std::string line;
    int last = 0;
    while (std::getline(lines, line)) {
      const size_t at = line.find("icmp_seq=");
      if (at == std::string::npos) continue;
      const int seq = std::stoi(line.substr(at + 9));
      run.longest_lost = std::max(run.longest_lost, seq - last - 1);
      last = seq;
      ++run.received;
    }
    run.longest_lost = std::max(run.longest_lost, sent - last);
    if (const size_t rtt = out.find("rtt min/avg/max/mdev = "); rtt != std::string::npos) {
      std::istringstream fields(out.substr(rtt + 23));
      std::string min_ms;
      std::string avg_ms;
      std::getline(fields, min_ms, '/');
      std::getline(fields, avg_ms, '/');
      fields >> run.max_rtt_ms;
    }
    return run;
  }
};

class BridgeChainTest : public VmApiTest {
 protected:
  // ovs-vsctl's answer without its newline, or "(error) …".
  std::string Vsctl(const std::vector<std::string>& args) {
    const ProcessResult r = bed_->Vsctl(args);
    std::string out = r.ok() ? r.out : "(error) " + r.err;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // rx_packets + tx_packets of a patch port's Interface.
  uint64_t Packets(const std::string& iface) {
    uint64_t sum = 0;
    for (const char* key : {"rx_packets", "tx_packets"}) {
      const std::string value = Column("Interface", iface, std::string("statistics:") + key);
      sum += value == "(missing)" ? 0 : std::stoull(value);
    }
    return sum;
  }
  uint64_t BrNfPackets() { return Packets("nf-to-br0") + Packets("nf-to-microseg"); }

  bool ChainIsUp() {
    for (const char* port : {"local-to-microseg", "microseg-to-local", "microseg-to-nf",
                             "nf-to-microseg", "nf-to-br0", "br0-to-nf"}) {
      if (Column("Interface", port, "type") != "patch") return false;
    }
    return true;
  }

  // A namespace whose veth is a port of `bridge` on VLAN `tag`.
  void AddPort(const std::string& suffix, const std::string& cidr, const std::string& bridge,
               int tag) {
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace(suffix, "eth0", cidr, "hv" + suffix, &error)) << error;
    ASSERT_TRUE(
        bed_->Vsctl({"add-port", bridge, "hv" + suffix, "tag=" + std::to_string(tag)}).ok());
  }
};

TEST_F(BridgeChainTest, TrafficBehindTheChainCrossesBrNfAndVlansStayApart) {
  ASSERT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  EXPECT_EQ(Column("Bridge", "br.nf", "datapath_type"), "netdev");
  // Patch ports are trunks of every VLAN.
  EXPECT_EQ(PortColumn("nf-to-br0", "tag"), "[]");
  EXPECT_EQ(PortColumn("nf-to-br0", "trunks"), "[]");
  AddPort("chain10", "10.88.0.5/24", "br0.local", 10);
  // On VLAN 20 with an address of VLAN 10's subnet: it must not reach the peer.
  AddPort("chain20", "10.88.0.6/24", "br0.local", 20);

  const uint64_t before = BrNfPackets();
  const ProcessResult ping =
      bed_->ExecIn("chain10", {"ping", "-c", "20", "-i", "0.05", "-W", "2", "10.88.0.1"});
  EXPECT_TRUE(ping.ok()) << ping.out << ping.err;
  EXPECT_THAT(ping.out, HasSubstr(" 0% packet loss"));
  // Statistics are refreshed by ovs-vswitchd every few seconds.
  EXPECT_TRUE(Eventually([&] { return BrNfPackets() >= before + 2 * 20; },
                         "br.nf's patch ports to count the pings", std::chrono::seconds(20)))
      << "before " << before << ", now " << BrNfPackets();

  const ProcessResult isolated =
      bed_->ExecIn("chain20", {"ping", "-c", "3", "-i", "0.2", "-W", "1", "10.88.0.1"});
  EXPECT_FALSE(isolated.ok()) << isolated.out;
  // VLAN 20 through the chain reaches VLAN 20's peer.
  ASSERT_TRUE(bed_->ExecIn("chain20", {"ip", "addr", "add", "10.89.0.6/24", "dev", "eth0"}).ok());
  EXPECT_TRUE(
      bed_->ExecIn("chain20", {"ping", "-c", "3", "-i", "0.2", "-W", "2", "10.89.0.1"}).ok());
}

TEST_F(BridgeChainTest, DirectAndNetworkFunctionNicsThroughTheApi) {
  ASSERT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  v1::CreateVmRequest req = GuestVm(
      "nf-1",
      "ip link set eth0 up\nip addr add 10.88.0.8/24 dev eth0\nsleep 2\n"
      "if ping -c 100 -i 0.05 -W 2 10.88.0.1 >/dev/null; then echo NET=ok; else echo NET=down; "
      "fi\n"
      "sleep 3600\n");
  req.mutable_spec()->mutable_nics(0)->set_type(v1::NIC_TYPE_DIRECT);
  v1::NicSpec* ingress = req.mutable_spec()->add_nics();
  ingress->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
  ingress->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS);

  // Refusals name the field and change nothing.
  v1::CreateVmRequest bad = req;
  bad.mutable_spec()->set_name("nf-bad");
  bad.mutable_spec()->mutable_nics(1)->set_network("vlan.10");
  v1::Vm ignored;
  grpc::Status refused = vms()->CreateVm(Ctx().get(), bad, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("spec.nics[1].network"));
  bad.mutable_spec()->mutable_nics(1)->clear_network();
  bad.mutable_spec()->mutable_nics(1)->clear_network_function_role();
  refused = vms()->CreateVm(Ctx().get(), bad, &ignored);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("spec.nics[1].network_function_role"));

  v1::Vm vm;
  const grpc::Status created = vms()->CreateVm(Ctx().get(), req, &vm);
  ASSERT_TRUE(created.ok()) << created.error_message() << agent_->log();
  ASSERT_EQ(vm.nics_size(), 2);
  EXPECT_EQ(vm.nics(0).bridge(), "br0");
  EXPECT_EQ(vm.nics(1).bridge(), "br.nf");
  EXPECT_EQ(vm.nics(1).spec().network_function_role(), v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS);
  const std::string direct = vm.nics(0).tap();
  const std::string processor = vm.nics(1).tap();

  const uint64_t before = BrNfPackets();
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "nf-1", &vm).ok());
  // The direct NIC is an access port of VLAN 10 on br0 itself.
  EXPECT_EQ(Vsctl({"port-to-br", direct}), "br0");
  EXPECT_EQ(PortColumn(direct, "tag"), "10");
  // The processor's NIC: on br.nf, isolated from NORMAL switching, its role
  // and VM on the Interface for service chains to find.
  EXPECT_EQ(Vsctl({"port-to-br", processor}), "br.nf");
  EXPECT_EQ(PortColumn(processor, "tag"), "4095");
  EXPECT_EQ(PortColumn(processor, "protected"), "true");
  EXPECT_EQ(Column("Interface", processor, "external_ids:hvagent-nf-role"), "ingress");
  EXPECT_EQ(Column("Interface", processor, "external_ids:vm-uuid"), "\"" + vm.uuid() + "\"");
  EXPECT_EQ(Column("Interface", processor, "external_ids:attached-mac"),
            "\"" + vm.nics(1).mac() + "\"");

  const std::string console = vm.console_log_path();
  ASSERT_TRUE(WaitForConsole(console, "NET=")) << ReadFile(console);
  EXPECT_THAT(ReadFile(console), HasSubstr("NET=ok"));
  // 100 pings and their replies did not cross br.nf: behind the chain they
  // would count 400 (both patch ports, both ways); the guest's broadcasts
  // (ARP, IPv6) are flooded through it and may count a few dozen.
  std::this_thread::sleep_for(std::chrono::seconds(6));  // a statistics refresh
  EXPECT_LT(BrNfPackets(), before + 100) << "before " << before;

  // A processor is bound to its host.
  v1::MigrateVmRequest migrate;
  migrate.set_name("nf-1");
  migrate.set_destination("unix:/nonexistent/hvagent.sock");
  migrate.set_destination_libvirt_uri("qemu+tcp://192.0.2.1/system");
  migrate.set_live(true);
  v1::Migration migration;
  const grpc::Status bound = vms()->MigrateVm(Ctx().get(), migrate, &migration);
  EXPECT_EQ(bound.error_code(), grpc::FAILED_PRECONDITION) << bound.error_message();
  EXPECT_THAT(bound.error_message(), HasSubstr("packet processor"));
}

TEST_F(BridgeChainTest, APartOfTheChainThatGoesComesBack) {
  ASSERT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  const std::string uplink = Column("Bridge", "br0", "_uuid");
  ASSERT_TRUE(bed_->Vsctl({"del-br", "br.microseg"}).ok());
  ASSERT_TRUE(bed_->Vsctl({"del-port", "br.nf", "nf-to-br0"}).ok());
  EXPECT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  EXPECT_EQ(Vsctl({"port-to-br", "microseg-to-local"}), "br.microseg");
  EXPECT_EQ(Vsctl({"port-to-br", "nf-to-br0"}), "br.nf");
  EXPECT_EQ(Column("Bridge", "br0", "_uuid"), uplink);
  // Right again: a restarted agent rewrites none of it.
  const std::string rows = Vsctl({"--columns=_uuid,name,ports", "list", "Bridge"}) +
                           Vsctl({"--columns=_uuid,name,interfaces,external_ids", "list", "Port"});
  agent_.reset();
  StartAgent();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(Vsctl({"--columns=_uuid,name,ports", "list", "Bridge"}) +
                Vsctl({"--columns=_uuid,name,interfaces,external_ids", "list", "Port"}),
            rows);
}

// Upgrade in place: the agent finds a running VM's port on br0 (the layout
// before the chain, no chain bridges) and moves it to br0.local; the VM keeps
// running. A peer pings the guest every 5 ms across the move; the longest
// run of lost replies is the traffic stop.
TEST_F(BridgeChainTest, AnOldLayoutPortMovesBehindTheChainWhileTheVmRuns) {
  ASSERT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  v1::Vm vm;
  ASSERT_TRUE(vms()
                  ->CreateVm(Ctx().get(),
                             GuestVm("old-1",
                                     "ip link set eth0 up\nip addr add 10.88.0.9/24 dev eth0\n"
                                     "echo NET=up\nsleep 3600\n"),
                             &vm)
                  .ok());
  const std::string tap = vm.nics(0).tap();
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "old-1", &vm).ok());
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "NET=up"));
  ASSERT_TRUE(Eventually([&] {
    return bed_->ExecIn("peer", {"ping", "-c", "1", "-W", "1", "10.88.0.9"}).ok();
  }));

  // The agent stops; the switch is put back to the old layout by hand.
  agent_.reset();
  ASSERT_TRUE(bed_->Vsctl({"del-port",
                           "br0.local",
                           tap,
                           "--",
                           "add-port",
                           "br0",
                           tap,
                           "tag=10",
                           "--",
                           "set",
                           "Port",
                           tap,
                           "external_ids:owner=hvagent",
                           "external_ids:vm-uuid=" + vm.uuid(),
                           "--",
                           "del-br",
                           "br0.local",
                           "--",
                           "del-br",
                           "br.microseg",
                           "--",
                           "del-br",
                           "br.nf",
                           "--",
                           "del-port",
                           "br0",
                           "br0-to-nf"})
                  .ok());
  ASSERT_TRUE(Eventually([&] {
    return bed_->ExecIn("peer", {"ping", "-c", "1", "-W", "1", "10.88.0.9"}).ok();
  })) << "the old layout carries traffic";

  constexpr int kPings = 4000;  // 20 s, every 5 ms
  ProcessResult pings;
  const auto start = std::chrono::steady_clock::now();
  std::thread pinger([&] {
    pings = bed_->ExecIn("peer", {"ping", "-n", "-i", "0.005", "-c", std::to_string(kPings), "-W",
                                  "1", "10.88.0.9"});
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  StartAgent();
  const bool moved = static_cast<bool>(Eventually(
      [&] {
        return Vsctl({"port-to-br", tap}) == "br0.local" && ChainIsUp();
      },
      "the port behind the chain", std::chrono::seconds(30)));
  const auto moved_after = std::chrono::steady_clock::now() - start;
  pinger.join();
  ASSERT_TRUE(moved) << agent_->log();
  // The move happened while the pings ran (they last 20 s).
  EXPECT_LT(moved_after, std::chrono::seconds(18));
  EXPECT_EQ(PortColumn(tap, "tag"), "10");

  const PingRun run = PingRun::Of(pings.out, kPings);
  const int longest = run.longest_lost;
  const int received = run.received;
  const double max_rtt_ms = run.max_rtt_ms;
  const int stop_ms = longest * 5 + static_cast<int>(max_rtt_ms);
  std::cerr << "upgrade in place: " << received << " of " << kPings
            << " pings (every 5 ms) answered, " << longest << " lost in a row, max RTT "
            << max_rtt_ms << " ms: traffic stopped " << stop_ms << " ms at most\n";
  RecordProperty("upgrade_traffic_stop_ms", stop_ms);
  EXPECT_GT(received, 0) << pings.out << pings.err;
  // The VM kept running, reachable through the chain after the move.
  EXPECT_TRUE(bed_->ExecIn("peer", {"ping", "-c", "3", "-W", "2", "10.88.0.9"}).ok());
  EXPECT_LT(stop_ms, 10000) << "a loose bound: a move is one OVSDB transaction";
  ASSERT_TRUE(GetVm("old-1", &vm).ok());
  EXPECT_EQ(vm.power_state(), v1::POWER_STATE_ON);
}

// A real packet processor: the test guest bridging its ingress and egress
// NICs as a wire (ageing 0: no learning, every frame to the other side), and
// printing what each NIC received. A chain on vlan.10 takes an app VM's
// traffic with the peer beyond br0 through it, both ways; vlan.20's does not
// cross it. The processor powered off, the chain fails closed (default) or,
// set so at runtime, open; powered on again, traffic goes through it again.
TEST_F(BridgeChainTest, AChainTakesAVmsTrafficThroughARealProcessorVm) {
  ASSERT_TRUE(Eventually([&] { return ChainIsUp(); })) << agent_->log();
  ASSERT_NO_FATAL_FAILURE(CreateNetwork("vlan.20", 20));
  v1::CreateVmRequest fw_req = GuestVmRequest(
      "fw-1",
      "brctl addbr wire\nbrctl setageing wire 0\n"
      "for i in eth0 eth1; do ip link set $i up; brctl addif wire $i; done\n"
      "ip link set wire up\necho WIRE=up\n"
      "while true; do echo \"COUNT in=$(cat /sys/class/net/eth0/statistics/rx_packets)"
      " out=$(cat /sys/class/net/eth1/statistics/rx_packets)\"; sleep 1; done\n");
  for (const auto role :
       {v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS, v1::NETWORK_FUNCTION_NIC_ROLE_EGRESS}) {
    v1::NicSpec* nic = fw_req.mutable_spec()->add_nics();
    nic->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
    nic->set_network_function_role(role);
  }
  v1::Vm fw;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), fw_req, &fw).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "fw-1", &fw).ok());
  v1::CreateVmRequest app_req =
      GuestVm("app-1",
              "ip link set eth0 up\nip addr add 10.88.0.7/24 dev eth0\n"
              "ip link set eth1 up\nip addr add 10.89.0.7/24 dev eth1\necho NET=up\nsleep 3600\n");
  app_req.mutable_spec()->add_nics()->set_network("vlan.20");
  v1::Vm app;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), app_req, &app).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "app-1", &app).ok());
  ASSERT_TRUE(WaitForConsole(fw.console_log_path(), "WIRE=up"));
  ASSERT_TRUE(WaitForConsole(app.console_log_path(), "NET=up"));
  const auto ping = [&](const char* from, const char* to, int count) {
    return bed_->ExecIn(from, {"ping", "-c", std::to_string(count), "-i", "0.05", "-W", "2", to})
        .ok();
  };
  ASSERT_TRUE(Eventually([&] { return ping("peer", "10.88.0.7", 1); }, "app-1 without a chain"));

  const v1::CreateServiceChainRequest create =
      InlineChainRequest("web", "vlan.10", "fw", fw.nics(0).mac(), fw.nics(1).mac());
  v1::ServiceChain chain;
  const grpc::Status created = networks()->CreateServiceChain(Ctx().get(), create, &chain);
  ASSERT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(chain.state(), v1::SERVICE_CHAIN_STATE_ACTIVE);

  // What the processor's NICs received, from its last console line.
  struct Received {
    uint64_t in = 0;
    uint64_t out = 0;
  };
  const auto received = [&] {
    const std::string console = ReadFile(fw.console_log_path());
    const size_t at = console.rfind("COUNT in=");
    Received r;
    if (at != std::string::npos) {
      std::sscanf(console.c_str() + at, "COUNT in=%lu out=%lu", &r.in, &r.out);
    }
    return r;
  };
  const Received before = received();
  EXPECT_TRUE(ping("peer", "10.88.0.7", 20));
  // The peer's requests come in by the processor's egress NIC, app-1's
  // replies leave by its ingress NIC; the guest prints every second.
  EXPECT_TRUE(Eventually(
      [&] {
        const Received now = received();
        return now.in >= before.in + 20 && now.out >= before.out + 20;
      },
      "20 requests and 20 replies through fw-1", std::chrono::seconds(10)))
      << "before in=" << before.in << " out=" << before.out;

  const Received quiet = received();
  EXPECT_TRUE(ping("peer20", "10.89.0.7", 20)) << "vlan.20 is not chained";
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_LT(received().in + received().out, quiet.in + quiet.out + 10)
      << "vlan.20's 40 packets did not cross fw-1";

  // A kDirectNic on the chained network bypasses the chain.
  v1::CreateVmRequest direct_req =
      GuestVm("direct-1",
              "ip link set eth0 up\nip addr add 10.88.0.17/24 dev eth0\necho NET=up\n"
              "sleep 3600\n");
  direct_req.mutable_spec()->mutable_nics(0)->set_type(v1::NIC_TYPE_DIRECT);
  v1::Vm direct;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), direct_req, &direct).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "direct-1", &direct).ok());
  ASSERT_TRUE(WaitForConsole(direct.console_log_path(), "NET=up"));
  ASSERT_TRUE(Eventually([&] { return ping("peer", "10.88.0.17", 1); }, "direct-1"));
  const Received bypassed = received();
  EXPECT_TRUE(ping("peer", "10.88.0.17", 20));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_LT(received().in + received().out, bypassed.in + bypassed.out + 10)
      << "direct-1's 40 packets did not cross fw-1";

  // An agent restart with the chain active: app-1's traffic through fw-1
  // goes on (pings every 10 ms across the restart).
  constexpr int kPings = 600;
  ProcessResult pings;
  std::thread pinger([&] {
    pings = bed_->ExecIn(
        "peer", {"ping", "-n", "-i", "0.01", "-c", std::to_string(kPings), "-W", "1", "10.88.0.7"});
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  agent_.reset();
  StartAgent();
  pinger.join();
  const PingRun across = PingRun::Of(pings.out, kPings);
  std::cerr << "agent restart with a chain active: " << across.received << " of " << kPings
            << " pings answered, " << across.longest_lost << " lost in a row, max RTT "
            << across.max_rtt_ms << " ms\n";
  EXPECT_LE(across.longest_lost, 2) << "no gap the restart made (a rebuild would be longer)";

  const auto state = [&] {
    v1::GetServiceChainRequest get;
    get.set_name("web");
    v1::ServiceChain now;
    return networks()->GetServiceChain(Ctx().get(), get, &now).ok()
               ? now.state()
               : v1::SERVICE_CHAIN_STATE_UNSPECIFIED;
  };
  // Off: the chain fails closed, its traffic dropped, vlan.20's not.
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOff, "fw-1", &fw).ok());
  EXPECT_TRUE(Eventually([&] { return state() == v1::SERVICE_CHAIN_STATE_FAILED_CLOSED; },
                         "failed closed", std::chrono::seconds(5)));
  EXPECT_FALSE(ping("peer", "10.88.0.7", 3));
  EXPECT_TRUE(ping("peer20", "10.89.0.7", 3));
  // Fail open, at runtime: around the processor that is off.
  v1::UpdateServiceChainRequest update;
  update.set_request_id("update-web");
  *update.mutable_chain() = create.chain();
  update.mutable_chain()->set_failure_policy(v1::FAILURE_POLICY_FAIL_OPEN);
  ASSERT_TRUE(networks()->UpdateServiceChain(Ctx().get(), update, &chain).ok());
  EXPECT_EQ(chain.state(), v1::SERVICE_CHAIN_STATE_BYPASSING);
  EXPECT_TRUE(Eventually([&] { return ping("peer", "10.88.0.7", 1); }, "bypassing fw-1",
                         std::chrono::seconds(5)));
  // On again: through it once its wire is up.
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "fw-1", &fw).ok());
  EXPECT_TRUE(Eventually([&] { return state() == v1::SERVICE_CHAIN_STATE_ACTIVE; }, "active",
                         std::chrono::seconds(10)));
  EXPECT_TRUE(Eventually([&] { return ping("peer", "10.88.0.7", 1); }, "through fw-1 again",
                         std::chrono::seconds(60)))
      << ReadFile(fw.console_log_path());
  const Received rebooted = received();
  EXPECT_TRUE(ping("peer", "10.88.0.7", 20));
  EXPECT_TRUE(Eventually([&] { return received().in >= rebooted.in + 20; },
                         "app-1's replies through fw-1 again", std::chrono::seconds(10)));
}

}  // namespace
}  // namespace hvagent::testing
