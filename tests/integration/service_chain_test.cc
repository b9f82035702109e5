// Service chains on the real OVS (userspace datapath) with real packets:
// network namespaces stand in for VMs (on br0.local, tagged as the agent tags
// VM NICs) and for packet processors on br.nf (an inline processor is a
// namespace bridging its two veths as a wire; a tap processor one veth). The
// bridge layout and patch ports are made here as the layout makes them.
// ovs-ofctl is used only to observe (the agent's own side runs it through
// the program runner, never a shell).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "hvagent/network/service_chain_manager.h"
#include "hvagent/openflow/ofctl_flow_switch.h"
#include "hvagent/v1/events.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/service_chain_request.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/subprocess.h"
#include "netns_packets.h"

namespace hvagent::testing {
namespace {

using openflow::ChainSpec;
using openflow::ChainState;
using openflow::FailurePolicy;
using openflow::ProcessorKind;

constexpr const char* kFwIn = "52:54:00:f0:00:01";
constexpr const char* kFwOut = "52:54:00:f0:00:02";
constexpr const char* kIdsTap = "52:54:00:f0:00:03";
constexpr const char* kNatIn = "52:54:00:f0:00:04";
constexpr const char* kNatOut = "52:54:00:f0:00:05";

class ServiceChainTest : public SharedSwitchTest {
 protected:
  void SetUp() override {
    SharedSwitchTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* bridge : {"br0.local", "br.microseg", "br.nf", "br0"}) {
      ASSERT_TRUE(bed_->AddNetdevBridge(bridge)) << bridge;
    }
    Patch("br0.local", "local-to-microseg", "br.microseg", "microseg-to-local");
    Patch("br.microseg", "microseg-to-nf", "br.nf", "nf-to-microseg");
    Patch("br.nf", "nf-to-br0", "br0", "br0-to-nf");
    // VMs a and b on the chained network (VLAN 10), c and d on VLAN 20;
    // "ext" is a host beyond the uplink, on VLAN 10.
    Vm("a", "10.9.0.1/24", "pa", "52:54:00:00:00:0a", 10);
    Vm("b", "10.9.0.2/24", "pb", "52:54:00:00:00:0b", 10);
    Vm("c", "10.9.1.3/24", "pc", "52:54:00:00:00:0c", 20);
    Vm("d", "10.9.1.4/24", "pd", "52:54:00:00:00:0d", 20);
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace("ext", "eth0", "10.9.0.9/24", "pext", &error)) << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "pext", "tag=10"}).ok());
    Wire("fw", kFwIn, kFwOut);
    Wire("nat", kNatIn, kNatOut);
    TapProcessor("ids", kIdsTap);
    if (HasFatalFailure()) return;
    switch_ = std::make_unique<openflow::OfctlFlowSwitch>(openflow::OfctlOptions{
        .rundir = std::filesystem::path(bed_->ovsdb_socket()).parent_path().string()});
    manager_ = MakeManager();
  }

  std::unique_ptr<network::ServiceChainManager> MakeManager() {
    return std::make_unique<network::ServiceChainManager>(
        *ovsdb_, *switch_, [this] { return StatusOr<std::vector<ChainSpec>>(chains_); },
        [this](const std::string& chain, const openflow::ChainStatus& now) {
          events_.push_back(chain + ":" + std::string(openflow::ChainStateName(now.state)));
        });
  }

  void Patch(const std::string& a, const std::string& pa, const std::string& b,
             const std::string& pb) {
    ASSERT_TRUE(bed_->Vsctl({"add-port", a, pa, "--", "set", "interface", pa, "type=patch",
                             "options:peer=" + pb, "--", "add-port", b, pb, "--", "set",
                             "interface", pb, "type=patch", "options:peer=" + pa})
                    .ok());
  }

  void Vm(const std::string& name, const std::string& cidr, const std::string& port,
          const std::string& mac, int vlan) {
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace(name, "eth0", cidr, port, &error)) << error;
    ASSERT_TRUE(bed_->ExecIn(name, {"ip", "link", "set", "eth0", "address", mac}).ok());
    ASSERT_TRUE(
        bed_->Vsctl({"add-port", "br0.local", port, "tag=" + std::to_string(vlan), "--", "set",
                     "interface", port, "external_ids:owner=hvagent",
                     "external_ids:vm-uuid=uuid-" + name, "external_ids:attached-mac=" + mac})
            .ok());
  }

  // A processor NIC's port on br.nf: parked on VLAN 4095 (NORMAL never
  // floods to it), tagged with its role.
  void NfPort(const std::string& port, const std::string& mac, const std::string& role) {
    ASSERT_TRUE(
        bed_->Vsctl({"add-port", "br.nf", port, "tag=4095", "--", "set", "interface", port,
                     "external_ids:owner=hvagent", "external_ids:vm-uuid=uuid-proc",
                     "external_ids:attached-mac=" + mac,
                     std::string("external_ids:") + network::kNetworkFunctionRoleKey + "=" + role})
            .ok());
  }

  // An inline processor: namespace `name` bridging in0 and out0 as a wire
  // (ageing 0: no learning, every frame goes to the other side).
  void Wire(const std::string& name, const std::string& in_mac, const std::string& out_mac) {
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace(name, "in0", "192.0.2.1/32", name + "-in", &error)) << error;
    const std::string ns = bed_->netns() + "-" + name;
    RunOrFail({"ip", "link", "add", name + "-out", "netns", bed_->netns(), "type", "veth", "peer",
               "name", "out0", "netns", ns});
    RunOrFail({"ip", "-n", bed_->netns(), "link", "set", name + "-out", "up"});
    RunOrFail({"ip", "-n", ns, "link", "set", "in0", "address", in_mac});
    RunOrFail({"ip", "-n", ns, "link", "set", "out0", "address", out_mac});
    RunOrFail({"ip", "-n", ns, "link", "add", "wire", "type", "bridge", "ageing_time", "0"});
    RunOrFail({"ip", "-n", ns, "link", "set", "in0", "master", "wire"});
    RunOrFail({"ip", "-n", ns, "link", "set", "out0", "master", "wire", "up"});
    RunOrFail({"ip", "-n", ns, "link", "set", "wire", "up"});
    NfPort(name + "-in", in_mac, "ingress");
    NfPort(name + "-out", out_mac, "egress");
  }

  void TapProcessor(const std::string& name, const std::string& mac) {
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace(name, "tap0", "192.0.2.2/32", name + "-tap", &error))
        << error;
    RunOrFail({"ip", "-n", bed_->netns() + "-" + name, "link", "set", "tap0", "address", mac});
    NfPort(name + "-tap", mac, "tap");
  }

  static ChainSpec Chain(std::vector<openflow::ProcessorSpec> processors,
                         FailurePolicy policy = FailurePolicy::kFailClosed) {
    return {.name = "web",
            .id = 0x1234,
            .network = "vlan.10",
            .vlan_id = 10,
            .nic_macs = {},
            .processors = std::move(processors),
            .failure_policy = policy};
  }
  static openflow::ProcessorSpec Fw() {
    return {
        .name = "fw", .kind = ProcessorKind::kInline, .ingress_mac = kFwIn, .egress_mac = kFwOut};
  }
  static openflow::ProcessorSpec Nat() {
    return {.name = "nat",
            .kind = ProcessorKind::kInline,
            .ingress_mac = kNatIn,
            .egress_mac = kNatOut};
  }
  static openflow::ProcessorSpec Ids() {
    return {.name = "ids", .kind = ProcessorKind::kTap, .tap_mac = kIdsTap};
  }

  network::ChainReconcileResult Reconcile() {
    auto result = manager_->Reconcile();
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : network::ChainReconcileResult{};
  }

  bool Ping(const std::string& from, const std::string& to, int count = 3) {
    return bed_->ExecIn(from, {"ping", "-c", std::to_string(count), "-i", "0.05", "-W", "2", to})
        .ok();
  }

  // Echo requests from `src` to `dst` (and replies back) seen at `ns`/`ifname`
  // while `traffic` runs.
  struct Seen {
    int requests = 0;
    int replies = 0;
  };
  Seen Count(const std::string& ns, const std::string& ifname, const char* src, const char* dst,
             const std::function<void()>& traffic) {
    FrameCounter counter(bed_->netns() + "-" + ns, ifname);
    EXPECT_TRUE(counter.ok());
    traffic();
    Seen seen;
    const auto on = [&](const Ipv4Frame& f) {
      if (f.protocol != IPPROTO_ICMP) return;
      if (f.src == Ipv4(src) && f.dst == Ipv4(dst) && f.icmp_type == 8) ++seen.requests;
      if (f.src == Ipv4(dst) && f.dst == Ipv4(src) && f.icmp_type == 0) ++seen.replies;
    };
    while (counter.Read(on, 300) > 0) {
    }
    return seen;
  }

  std::string DumpFlows(const std::string& bridge) {
    return RunOrFail({"ovs-ofctl", "--no-names", "--no-stats", "dump-flows",
                      "unix:" + std::filesystem::path(bed_->ovsdb_socket()).parent_path().string() +
                          "/" + bridge + ".mgmt"})
        .out;
  }

  // UDP datagrams from `from` (at `src`) that arrive at namespace `to` (at
  // `dst`), counted raw there: with the userspace datapath the veths'
  // offloaded checksums are never filled in, so a socket would drop them.
  // With `src_mac`, only those that arrive from that MAC.
  int UdpArriving(const std::string& from, const char* src, const std::string& to, const char* dst,
                  const std::string& src_mac = "") {
    FrameCounter counter(bed_->netns() + "-" + to, "eth0");
    EXPECT_TRUE(counter.ok());
    EXPECT_TRUE(bed_->ExecIn(from, {"python3", "-c",
                                    "import socket,time\n"
                                    "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                    "for i in range(5):\n s.sendto(b'x',('" +
                                        std::string(dst) + "',9999))\n time.sleep(0.05)\n"})
                    .ok());
    int datagrams = 0;
    const auto on = [&](const Ipv4Frame& f) {
      if (f.protocol == IPPROTO_UDP && f.src == Ipv4(src) && f.dst == Ipv4(dst) &&
          (src_mac.empty() || f.src_mac == src_mac)) {
        ++datagrams;
      }
    };
    while (counter.Read(on, 300) > 0) {
    }
    return datagrams;
  }

  // dump-flows' lines sorted: a flow put back is listed elsewhere.
  std::vector<std::string> SortedFlows(const std::string& bridge) {
    std::vector<std::string> lines;
    std::istringstream in(DumpFlows(bridge));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  // fw's ingress link in its namespace ("up" or "down"), once OVS has seen it
  // (a processor VM stopping or starting).
  ::testing::AssertionResult SetFwLink(const std::string& state) {
    RunOrFail({"ip", "-n", bed_->netns() + "-fw", "link", "set", "in0", state});
    return Eventually(
        [&] {
          return bed_->Vsctl({"get", "interface", "fw-in", "link_state"}).out == state + "\n";
        },
        "fw-in's link " + state, std::chrono::seconds(10));
  }

  std::string Ofport(const std::string& interface) {
    std::string out = bed_->Vsctl({"get", "interface", interface, "ofport"}).out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::vector<ChainSpec> chains_;
  std::vector<std::string> events_;
  std::unique_ptr<openflow::OfctlFlowSwitch> switch_;
  std::unique_ptr<network::ServiceChainManager> manager_;
};

TEST_F(ServiceChainTest, CoveredTrafficTraversesTheChainInOrder) {
  EXPECT_TRUE(Ping("a", "10.9.0.9")) << "no connectivity without a chain";
  chains_ = {Chain({Fw(), Ids(), Nat()})};
  const auto first = Reconcile();
  EXPECT_GT(first.flows_added, 0u);
  EXPECT_EQ(first.status.at("web").state, ChainState::kActive);

  // To the uplink: through fw (into its ingress), copied to ids, through nat.
  const Seen fw =
      Count("fw", "in0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 10)); });
  EXPECT_GE(fw.requests, 10);
  const Seen fw_back =
      Count("fw", "out0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 10)); });
  EXPECT_GE(fw_back.replies, 10) << "replies come back through fw, into its egress";
  const Seen ids =
      Count("ids", "tap0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 10)); });
  EXPECT_GE(ids.requests, 10);
  EXPECT_GE(ids.replies, 10);
  const Seen nat =
      Count("nat", "in0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 10)); });
  EXPECT_GE(nat.requests, 10);

  // Two covered VMs on this host: the hairpin takes them through the chain.
  const Seen local =
      Count("fw", "in0", "10.9.0.1", "10.9.0.2", [&] { EXPECT_TRUE(Ping("a", "10.9.0.2", 10)); });
  EXPECT_GE(local.requests, 10) << "a -> b outbound through fw";
  EXPECT_GE(local.replies, 10) << "b -> a outbound through fw";

  // The uncovered network (VLAN 20) is switched on br0.local as before.
  const Seen other =
      Count("fw", "in0", "10.9.1.3", "10.9.1.4", [&] { EXPECT_TRUE(Ping("c", "10.9.1.4", 10)); });
  EXPECT_EQ(other.requests, 0);
  EXPECT_EQ(other.replies, 0);

  // The chain gone: its flows go, traffic flows without it (the first
  // pings after the deletion may be lost: the time is printed).
  chains_.clear();
  EXPECT_GT(Reconcile().flows_removed, 0u);
  const auto removed_at = std::chrono::steady_clock::now();
  EXPECT_TRUE(Eventually([&] { return Ping("a", "10.9.0.9", 1); }, "a -> ext without the chain",
                         std::chrono::seconds(10)));
  std::cerr << "a -> ext after the chain's deletion: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - removed_at)
                   .count()
            << " ms\n";
  EXPECT_EQ(
      Count("fw", "in0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 5)); })
          .requests,
      0);
  // Between the two local VMs too, which the hairpin took through the chain:
  // like a -> ext above, its first pings may be lost while ovs-vswitchd
  // revalidates its datapath flows (one CI run under load lost 3 in 2 s).
  EXPECT_TRUE(Eventually([&] { return Ping("a", "10.9.0.2", 1); }, "a -> b without the chain",
                         std::chrono::seconds(10)));
}

TEST_F(ServiceChainTest, InlineProcessorsDropOrAlterAndTheTapSeesWhatTheyLetThrough) {
  // On an untagged network: the kernel here has no 802.1Q module, and
  // ebtables sees IPv4 only in untagged frames.
  Vm("e", "10.9.2.5/24", "pe", "52:54:00:00:00:0e", 0);
  Vm("f", "10.9.2.6/24", "pf", "52:54:00:00:00:0f", 0);
  std::string error;
  ASSERT_TRUE(bed_->AddHostNamespace("ext0", "eth0", "10.9.2.9/24", "pext0", &error)) << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "pext0", "tag=0"}).ok());
  chains_ = {Chain({Fw(), Ids(), Nat()})};
  chains_[0].vlan_id = 0;
  Reconcile();
  ASSERT_TRUE(Ping("e", "10.9.2.9"));
  // fw drops ICMP (e's echo requests): the tap after it sees none of them,
  // and the pings fail, while UDP passes.
  const std::string fw = bed_->netns() + "-fw";
  RunOrFail({"ip", "netns", "exec", fw, "ebtables", "-A", "FORWARD", "-p", "IPv4", "--ip-proto",
             "icmp", "-j", "DROP"});
  const Seen ids =
      Count("ids", "tap0", "10.9.2.5", "10.9.2.9", [&] { EXPECT_FALSE(Ping("e", "10.9.2.9", 5)); });
  EXPECT_EQ(ids.requests, 0);
  EXPECT_EQ(UdpArriving("e", "10.9.2.5", "ext0", "10.9.2.9"), 5)
      << "UDP passes fw while ICMP does not";
  EXPECT_EQ(UdpArriving("e", "10.9.2.5", "f", "10.9.2.6"), 5) << "between local VMs too";
  RunOrFail({"ip", "netns", "exec", bed_->netns() + "-fw", "ebtables", "-F", "FORWARD"});
  EXPECT_TRUE(Eventually([&] { return Ping("e", "10.9.2.9", 1); }, "pings again",
                         std::chrono::seconds(10)));
  // fw alters what it forwards: e's UDP leaves it with another source MAC,
  // and arrives so, beyond the uplink and at a local VM alike.
  constexpr const char* kRewritten = "52:54:00:aa:bb:cc";
  RunOrFail({"ip", "netns", "exec", fw, "ebtables", "-t", "nat", "-A", "POSTROUTING", "-p", "IPv4",
             "--ip-proto", "udp", "-j", "snat", "--to-source", kRewritten});
  EXPECT_EQ(UdpArriving("e", "10.9.2.5", "ext0", "10.9.2.9", kRewritten), 5);
  EXPECT_EQ(UdpArriving("e", "10.9.2.5", "f", "10.9.2.6", kRewritten), 5);
  RunOrFail({"ip", "netns", "exec", fw, "ebtables", "-t", "nat", "-F"});
  EXPECT_EQ(UdpArriving("e", "10.9.2.5", "ext0", "10.9.2.9", "52:54:00:00:00:0e"), 5)
      << "unaltered once fw stops";
  EXPECT_GE(
      Count("ids", "tap0", "10.9.2.5", "10.9.2.9", [&] { EXPECT_TRUE(Ping("e", "10.9.2.9", 5)); })
          .requests,
      5);
}

TEST_F(ServiceChainTest, RestartWritesNothingAndADeletedFlowComesBack) {
  chains_ = {Chain({Fw(), Ids(), Nat()})};
  Reconcile();
  const std::string nf = DumpFlows("br.nf");
  const std::string microseg = DumpFlows("br.microseg");
  const std::string local = DumpFlows("br0.local");
  const std::vector<std::string> nf_sorted = SortedFlows("br.nf");
  ASSERT_NE(nf.find("cookie=0x4856000000001234"), std::string::npos) << nf;

  // A restarted agent: a new manager, the same chains. Nothing is written.
  manager_ = MakeManager();
  const auto again = Reconcile();
  EXPECT_EQ(again.flows_added, 0u);
  EXPECT_EQ(again.flows_removed, 0u);
  EXPECT_EQ(DumpFlows("br.nf"), nf);
  EXPECT_EQ(DumpFlows("br.microseg"), microseg);
  EXPECT_EQ(DumpFlows("br0.local"), local);
  EXPECT_TRUE(Ping("a", "10.9.0.9"));

  // A flow deleted behind the agent's back comes back, and only it.
  RunOrFail(
      {"ovs-ofctl", "--strict", "del-flows",
       "unix:" + std::filesystem::path(bed_->ovsdb_socket()).parent_path().string() + "/br.nf.mgmt",
       "cookie=0x4856000000001234/-1,priority=1200,in_port=" + Ofport("nf-to-microseg") +
           ",dl_vlan=10"});
  EXPECT_NE(DumpFlows("br.nf"), nf);
  const auto restored = Reconcile();
  EXPECT_EQ(restored.flows_added, 1u);
  EXPECT_EQ(restored.flows_removed, 0u);
  EXPECT_EQ(SortedFlows("br.nf"), nf_sorted);
  // Flows not the agent's are never touched.
  EXPECT_NE(nf.find("priority=0 actions=NORMAL"), std::string::npos);
}

TEST_F(ServiceChainTest, FailClosedDropsAndFailOpenBypasses) {
  chains_ = {Chain({Fw()})};
  Reconcile();
  ASSERT_TRUE(Ping("a", "10.9.0.9"));
  // fw's VM goes down: its NIC's link with it.
  ASSERT_TRUE(SetFwLink("down"));
  EXPECT_EQ(Reconcile().status.at("web").state, ChainState::kFailedClosed);
  EXPECT_EQ(events_, std::vector<std::string>{"web:failed-closed"});
  EXPECT_FALSE(Ping("a", "10.9.0.9"));
  EXPECT_FALSE(Ping("a", "10.9.0.2")) << "local traffic of the chain is dropped too";
  EXPECT_TRUE(Ping("c", "10.9.1.4")) << "other networks are not";

  // The same, fail-open: the chain bypasses fw.
  chains_ = {Chain({Fw()}, FailurePolicy::kFailOpen)};
  EXPECT_EQ(Reconcile().status.at("web").state, ChainState::kBypassing);
  EXPECT_EQ(events_.back(), "web:bypassing");
  EXPECT_TRUE(Ping("a", "10.9.0.9"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(
      Eventually([&] { return Ping("a", "10.9.0.2", 1); }, "a -> b", std::chrono::seconds(5)));
  std::cerr << "a -> b after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms\n";

  // fw back: through it again.
  ASSERT_TRUE(SetFwLink("up"));
  EXPECT_EQ(Reconcile().status.at("web").state, ChainState::kActive);
  EXPECT_EQ(events_.back(), "web:active");
  EXPECT_GE(
      Count("fw", "in0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 5)); })
          .requests,
      5);
}

// The same through hvagentd: the API, the store, the daemon's triggers.
TEST_F(ServiceChainTest, ThroughTheAgent) {
  // Ports made here carry no owner=hvagent: the agent's VM reconcile would
  // take tagged ports of VMs it does not know for leftovers.
  auto agent = StartAgentOrFail(AgentOnTestbed(*bed_));
  ASSERT_NE(agent, nullptr);
  auto net = v1::NetworkService::NewStub(agent->Channel());
  v1::CreateNetworkRequest create_network;
  create_network.set_name("vlan.10");
  create_network.set_vlan_id(10);
  v1::Network network;
  ASSERT_TRUE(net->CreateNetwork(Ctx().get(), create_network, &network).ok());

  const v1::CreateServiceChainRequest create =
      InlineChainRequest("web", "vlan.10", "fw", kFwIn, kFwOut);

  // Refusals name the field and change nothing.
  v1::CreateServiceChainRequest bad = create;
  bad.mutable_chain()->mutable_processors(0)->clear_ingress_nic_mac();
  v1::ServiceChain out;
  grpc::Status refused = net->CreateServiceChain(Ctx().get(), bad, &out);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message(), "chain.processors[0].ingress_nic_mac: is required");
  bad = create;
  bad.mutable_chain()->set_network("vlan.99");
  refused = net->CreateServiceChain(Ctx().get(), bad, &out);
  EXPECT_EQ(refused.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("chain.network"));

  ASSERT_TRUE(net->CreateServiceChain(Ctx().get(), create, &out).ok());
  EXPECT_EQ(out.state(), v1::SERVICE_CHAIN_STATE_ACTIVE);
  EXPECT_NE(out.cookie_id(), 0u);
  EXPECT_EQ(out.generation(), 1);
  const std::string cookie = fmt::format("cookie={:#x}", openflow::CookieFor(out.cookie_id()));
  EXPECT_NE(DumpFlows("br.nf").find(cookie), std::string::npos);
  EXPECT_GE(
      Count("fw", "in0", "10.9.0.1", "10.9.0.9", [&] { EXPECT_TRUE(Ping("a", "10.9.0.9", 5)); })
          .requests,
      5);

  // Another chain may not use fw's NICs.
  v1::CreateServiceChainRequest overlap = create;
  overlap.set_request_id("create-other");
  overlap.mutable_chain()->set_name("other");
  overlap.mutable_chain()->clear_network();
  overlap.mutable_chain()->add_nic_macs("52:54:00:00:00:0c");
  refused = net->CreateServiceChain(Ctx().get(), overlap, &out);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("already in chain 'web'"));
  // The chain's network is not deleted from under it.
  v1::DeleteNetworkRequest delete_network;
  delete_network.set_name("vlan.10");
  v1::DeleteNetworkResponse deleted_network;
  refused = net->DeleteNetwork(Ctx().get(), delete_network, &deleted_network);
  EXPECT_EQ(refused.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message(),
            "name: network 'vlan.10' is used by service chain 'web'; delete the chain or change "
            "it first");
  v1::GetNetworkRequest get_network;
  get_network.set_name("vlan.10");
  EXPECT_TRUE(net->GetNetwork(Ctx().get(), get_network, &network).ok()) << "still there";

  // fw's VM goes down: the flows switch and an event says so, within a second.
  auto events = v1::EventService::NewStub(agent->Channel());
  v1::WatchRequest watch;
  watch.add_kinds(v1::EVENT_KIND_SERVICE_CHAIN);
  auto watch_ctx = Ctx(20);
  auto reader = events->Watch(watch_ctx.get(), watch);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the stream is set up
  const auto down_at = std::chrono::steady_clock::now();
  RunOrFail({"ip", "-n", bed_->netns() + "-fw", "link", "set", "in0", "down"});
  v1::Event event;
  ASSERT_TRUE(reader->Read(&event));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - down_at);
  std::cerr << "fw down -> failed-closed event: " << took.count() << " ms\n";
  EXPECT_LT(took.count(), 1000);
  EXPECT_EQ(event.service_chain().chain(), "web");
  EXPECT_EQ(event.service_chain().state(), "failed-closed");
  EXPECT_THAT(event.service_chain().processors_down(), ::testing::ElementsAre("fw"));
  EXPECT_FALSE(Ping("a", "10.9.0.9"));

  // Changed at runtime to fail open: bypassing.
  v1::UpdateServiceChainRequest update;
  update.set_request_id("update-web");
  *update.mutable_chain() = create.chain();
  update.mutable_chain()->set_failure_policy(v1::FAILURE_POLICY_FAIL_OPEN);
  ASSERT_TRUE(net->UpdateServiceChain(Ctx().get(), update, &out).ok());
  EXPECT_EQ(out.state(), v1::SERVICE_CHAIN_STATE_BYPASSING);
  EXPECT_EQ(out.generation(), 2);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.service_chain().state(), "bypassing");
  EXPECT_TRUE(Ping("a", "10.9.0.9"));
  RunOrFail({"ip", "-n", bed_->netns() + "-fw", "link", "set", "in0", "up"});
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.service_chain().state(), "active");
  watch_ctx->TryCancel();
  reader->Finish();
  ASSERT_TRUE(Eventually([&] { return Ping("a", "10.9.0.9", 1); }, "through fw again",
                         std::chrono::seconds(10)));

  // An agent restart: the flows are the same, byte for byte, and were not
  // re-added (the chain's entry flow keeps counting from before).
  const std::string nf = DumpFlows("br.nf");
  const std::string microseg = DumpFlows("br.microseg");
  const std::string local = DumpFlows("br0.local");
  const std::string state = agent->state_dir();
  ASSERT_EQ(agent->Stop(), 0);
  const auto stopped = std::move(agent);  // holds the state directory
  agent = StartAgentOrFail(AgentOnTestbed(*bed_, {}, state));
  ASSERT_NE(agent, nullptr);
  net = v1::NetworkService::NewStub(agent->Channel());
  v1::GetServiceChainRequest get;
  get.set_name("web");
  ASSERT_TRUE(net->GetServiceChain(Ctx().get(), get, &out).ok());
  EXPECT_EQ(out.failure_policy(), v1::FAILURE_POLICY_FAIL_OPEN);
  std::this_thread::sleep_for(std::chrono::seconds(6));  // a periodic pass, too
  EXPECT_EQ(DumpFlows("br.nf"), nf);
  EXPECT_EQ(DumpFlows("br.microseg"), microseg);
  EXPECT_EQ(DumpFlows("br0.local"), local);
  EXPECT_THAT(agent->log(), ::testing::Not(::testing::HasSubstr("flows added")));

  // Deleted: its flows go (the shared ones too: no chain is left).
  v1::DeleteServiceChainRequest remove;
  remove.set_request_id("delete-web");
  remove.set_name("web");
  v1::DeleteServiceChainResponse removed;
  ASSERT_TRUE(net->DeleteServiceChain(Ctx().get(), remove, &removed).ok());
  EXPECT_EQ(DumpFlows("br.nf").find(cookie), std::string::npos) << agent->log();
  EXPECT_EQ(DumpFlows("br0.local").find("cookie=0x4856"), std::string::npos);
  EXPECT_TRUE(Ping("a", "10.9.0.2"));
  EXPECT_TRUE(net->DeleteNetwork(Ctx().get(), delete_network, &deleted_network).ok())
      << "no chain uses it now";
}

}  // namespace
}  // namespace hvagent::testing
