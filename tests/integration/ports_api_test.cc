// Internal ports, tunnels, mirrors and virbr0 through the gRPC API of a real
// hvagentd on the testbed: each RPC, request_id replay, refusals with their
// codes, and a restarted agent listing what it made from OVSDB alone.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>
#include <vector>

#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

class PortsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    bed_ = SharedTestbed(&error);
    ASSERT_NE(bed_, nullptr) << error;
    agent_ = StartAgent();
    ASSERT_NE(agent_, nullptr);
    // The agent makes br0 when OVSDB comes.
    ASSERT_TRUE(Eventually([&] { return bed_->Vsctl({"br-exists", "br0"}).ok(); }));
  }

  std::unique_ptr<AgentProcess> StartAgent(const std::string& state_dir = "") {
    auto agent = StartAgentOrFail(AgentOnTestbed(*bed_,
                                                 {"--datapath-type", "netdev", "--internal-bridge",
                                                  "virbr0", "--internal-cidr", "192.168.5.0/24"},
                                                 state_dir));
    if (agent == nullptr) return nullptr;
    stub_ = v1::NetworkService::NewStub(agent->Channel());
    return agent;
  }

  Testbed* bed_ = nullptr;  // the binary's, reset for each test
  std::unique_ptr<AgentProcess> agent_;
  std::unique_ptr<v1::NetworkService::Stub> stub_;
};

TEST_F(PortsApiTest, EveryPortRpcAndARestartedAgentRebuildsItsView) {
  v1::CreateNetworkRequest net;
  net.set_name("vlan.10");
  net.set_vlan_id(10);
  v1::Network network;
  ASSERT_TRUE(stub_->CreateNetwork(Ctx().get(), net, &network).ok());

  // Internal port on the network's VLAN, with its address, replayed by request_id.
  v1::CreateInternalPortRequest ip;
  ip.set_request_id("ip-1");
  ip.set_name("hvint10");
  ip.set_network("vlan.10");
  ip.set_address("10.5.0.1/24");
  v1::InternalPort port;
  grpc::Status s = stub_->CreateInternalPort(Ctx().get(), ip, &port);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(port.bridge(), "br0");
  EXPECT_EQ(port.vlan_id(), 10u);
  v1::InternalPort replayed;
  ASSERT_TRUE(stub_->CreateInternalPort(Ctx().get(), ip, &replayed).ok());
  EXPECT_EQ(replayed.SerializeAsString(), port.SerializeAsString());
  EXPECT_EQ(bed_->Vsctl({"get", "Port", "hvint10", "tag"}).out, "10\n");
  EXPECT_NE(bed_->Exec({"ip", "-4", "addr", "show", "hvint10"}).out.find("10.5.0.1/24"),
            std::string::npos);

  v1::CreateInternalPortRequest bad = ip;
  bad.set_request_id("");
  bad.set_address("10.5.0.1");
  EXPECT_EQ(stub_->CreateInternalPort(Ctx().get(), bad, &port).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_address("");
  bad.set_network("vlan.99");
  EXPECT_EQ(stub_->CreateInternalPort(Ctx().get(), bad, &port).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A tunnel on br0 (the default bridge).
  v1::CreateTunnelRequest tunnel;
  tunnel.set_request_id("tun-1");
  tunnel.mutable_tunnel()->set_name("vx-host2");
  tunnel.mutable_tunnel()->set_remote_ip("172.31.0.2");
  tunnel.mutable_tunnel()->set_vni(5000);
  v1::Tunnel made;
  s = stub_->CreateTunnel(Ctx().get(), tunnel, &made);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(made.bridge(), "br0");
  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "vx-host2", "options:key"}).out, "\"5000\"\n");
  v1::CreateTunnelRequest bad_tunnel = tunnel;
  bad_tunnel.set_request_id("");
  bad_tunnel.mutable_tunnel()->set_name("vx-bad");
  bad_tunnel.mutable_tunnel()->set_vni(16777216);
  s = stub_->CreateTunnel(Ctx().get(), bad_tunnel, &made);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("vni"), std::string::npos) << s.error_message();

  // A mirror of the internal port's traffic to a port made by the test.
  ASSERT_TRUE(
      bed_->Vsctl({"add-port", "br0", "mon0", "--", "set", "Interface", "mon0", "type=internal"})
          .ok());
  v1::CreateMirrorRequest mirror;
  mirror.mutable_mirror()->set_name("span1");
  mirror.mutable_mirror()->add_select_src_ports("hvint10");
  mirror.mutable_mirror()->set_output_port("mon0");
  v1::Mirror mirrored;
  s = stub_->CreateMirror(Ctx().get(), mirror, &mirrored);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::CreateMirrorRequest empty_mirror;
  empty_mirror.mutable_mirror()->set_name("none");
  empty_mirror.mutable_mirror()->set_output_port("mon0");
  EXPECT_EQ(stub_->CreateMirror(Ctx().get(), empty_mirror, &mirrored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // virbr0, made at start from the configuration.
  v1::InternalNetwork internal;
  s = stub_->GetInternalNetwork(Ctx().get(), {}, &internal);
  ASSERT_TRUE(s.ok()) << s.error_message() << agent_->log();
  EXPECT_EQ(internal.bridge(), "virbr0");
  EXPECT_EQ(internal.subnet(), "192.168.5.0/24");
  EXPECT_EQ(internal.host_address(), "192.168.5.1");

  // A restarted agent lists the same from OVSDB alone.
  const std::string state_dir = agent_->state_dir();
  ASSERT_EQ(agent_->Stop(), 0);
  agent_ = StartAgent(state_dir);
  ASSERT_NE(agent_, nullptr);
  v1::ListInternalPortsResponse ports;
  ASSERT_TRUE(Eventually([&] {
    ports.Clear();
    return stub_->ListInternalPorts(Ctx().get(), {}, &ports).ok();
  }));
  ASSERT_EQ(ports.ports_size(), 1);
  EXPECT_EQ(ports.ports(0).SerializeAsString(), port.SerializeAsString());
  v1::ListTunnelsResponse tunnels;
  ASSERT_TRUE(stub_->ListTunnels(Ctx().get(), {}, &tunnels).ok());
  ASSERT_EQ(tunnels.tunnels_size(), 1);
  EXPECT_EQ(tunnels.tunnels(0).remote_ip(), "172.31.0.2");
  EXPECT_EQ(tunnels.tunnels(0).vni(), 5000u);
  v1::ListMirrorsResponse mirrors;
  ASSERT_TRUE(stub_->ListMirrors(Ctx().get(), {}, &mirrors).ok());
  ASSERT_EQ(mirrors.mirrors_size(), 1);
  EXPECT_EQ(mirrors.mirrors(0).output_port(), "mon0");

  // Deletes, and what is already gone is NOT_FOUND; what is not the agent's
  // is left alone.
  using Stub = v1::NetworkService::Stub;
  const auto del_mirror = Named<v1::DeleteMirrorRequest>("span1");
  ASSERT_TRUE(CallStatus(*stub_, &Stub::DeleteMirror, del_mirror).ok());
  EXPECT_EQ(CallStatus(*stub_, &Stub::DeleteMirror, del_mirror).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(
      CallStatus(*stub_, &Stub::DeleteTunnel, Named<v1::DeleteTunnelRequest>("vx-host2")).ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "vx-host2", "name"}).ok());
  EXPECT_EQ(
      CallStatus(*stub_, &Stub::DeleteInternalPort, Named<v1::DeleteInternalPortRequest>("mon0"))
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(
      CallStatus(*stub_, &Stub::DeleteInternalPort, Named<v1::DeleteInternalPortRequest>("hvint10"))
          .ok());
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "hvint10", "name"}).ok());
  EXPECT_TRUE(bed_->Vsctl({"get", "Port", "mon0", "name"}).ok());
}

// Open_vSwitch.next_cfg: the agent bumps it once per write transaction.
long NextCfg(Testbed& bed) {
  return std::stol(bed.Vsctl({"get", "Open_vSwitch", ".", "next_cfg"}).out);
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Runs `call(i)` for i in [0, n) from `callers` threads at once.
void Concurrently(int n, int callers, const std::function<void(int)>& call) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) call(i);
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST_F(PortsApiTest, ConcurrentPortChangesShareTransactionsAndQueueNoVmReconcile) {
  v1::CreateNetworkRequest net;
  net.set_name("vlan.10");
  net.set_vlan_id(10);
  v1::Network network;
  ASSERT_TRUE(stub_->CreateNetwork(Ctx().get(), net, &network).ok());
  // The start's own reconciles done.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  constexpr int kPorts = 96;
  constexpr int kCallers = 32;
  std::atomic<int> failed{0};
  long before = NextCfg(*bed_);
  Concurrently(kPorts, kCallers, [&](int i) {
    v1::CreateInternalPortRequest req;
    req.set_name("hvcc" + std::to_string(i));
    req.set_network("vlan.10");
    v1::InternalPort out;
    if (!stub_->CreateInternalPort(Ctx().get(), req, &out).ok()) ++failed;
  });
  ASSERT_EQ(failed, 0) << agent_->log();
  const long plug_writes = NextCfg(*bed_) - before;
  // With 8 workers for every change, at most 8 ports were in flight at once,
  // so 96 ports took 12 write transactions at the very least (~25 seen);
  // 4 seen with port_workers.
  EXPECT_LT(plug_writes, kPorts / 8) << "write transactions for " << kPorts << " ports";
  const std::string log_before = agent_->log();

  before = NextCfg(*bed_);
  Concurrently(kPorts, kCallers, [&](int i) {
    v1::DeleteInternalPortRequest req;
    req.set_name("hvcc" + std::to_string(i));
    v1::DeleteInternalPortResponse out;
    if (!stub_->DeleteInternalPort(Ctx().get(), req, &out).ok()) ++failed;
  });
  ASSERT_EQ(failed, 0) << agent_->log();
  const long unplug_writes = NextCfg(*bed_) - before;
  // Deletes finish unevenly (ovs-vswitchd removes the taps one by one), so
  // fewer share a transaction: 10 seen here, ~37 (2.6 each) before.
  EXPECT_LT(unplug_writes, kPorts / 6) << "write transactions for " << kPorts << " deletes";
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "hvcc0", "name"}).ok());
  // Internal ports going are no reason to check every running VM's NICs
  // (each batch of deletes queued one), nor the bridges.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const std::string log_after = agent_->log();
  EXPECT_EQ(Occurrences(log_after, "running VMs to check"),
            Occurrences(log_before, "running VMs to check"))
      << log_after.substr(log_before.size());
  std::cout << "write transactions: " << plug_writes << " for " << kPorts << " creates, "
            << unplug_writes << " for " << kPorts << " deletes\n";
}

}  // namespace
}  // namespace hvagent::testing
