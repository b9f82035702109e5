// Bridges and bonds through the gRPC API of a real hvagentd on the testbed:
// br0 made at start (and left alone by a restarted agent), every bridge and
// bond RPC, request_id replay, and the error codes of the refusals.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

class BridgeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    bed_ = SharedTestbed(&error);
    ASSERT_NE(bed_, nullptr) << error;
    for (const char* pair : {"0", "1", "2"}) {
      const std::string up = std::string("up") + pair;
      const std::string sw = std::string("sw") + pair;
      ASSERT_TRUE(bed_->Exec({"ip", "link", "add", up, "type", "veth", "peer", "name", sw}).ok());
      ASSERT_TRUE(bed_->Exec({"ip", "link", "set", up, "up"}).ok());
      ASSERT_TRUE(bed_->Exec({"ip", "link", "set", sw, "up"}).ok());
    }
    agent_ = StartAgent();
    ASSERT_NE(agent_, nullptr);
  }

  std::unique_ptr<AgentProcess> StartAgent(const std::string& state_dir = "") {
    auto agent = StartAgentOrFail(AgentOnTestbed(*bed_, {"--datapath-type", "netdev"}, state_dir));
    if (agent == nullptr) return nullptr;
    stub_ = v1::NetworkService::NewStub(agent->Channel());
    return agent;
  }

  std::string Vsctl(const std::vector<std::string>& args) {
    const ProcessResult r = bed_->Vsctl(args);
    return r.ok() ? r.out : "(error) " + r.err;
  }

  Testbed* bed_ = nullptr;  // the binary's, reset for each test
  std::unique_ptr<AgentProcess> agent_;
  std::unique_ptr<v1::NetworkService::Stub> stub_;
};

TEST_F(BridgeApiTest, Br0IsMadeAtStartWithItsInternalPortAndLeftAloneAfterARestart) {
  v1::Bridge br0;
  ASSERT_TRUE(Eventually([&] {
    br0.Clear();
    v1::GetBridgeRequest req;
    req.set_name("br0");
    // Its chain's patch port comes in the transaction after br0.
    return stub_->GetBridge(Ctx().get(), req, &br0).ok() && br0.ports_size() == 2;
  })) << agent_->log();
  EXPECT_TRUE(br0.agent_owned());
  EXPECT_EQ(br0.datapath_type(), v1::DATAPATH_TYPE_NETDEV);
  // Its internal port, and the patch port that ends the bridge chain.
  ASSERT_EQ(br0.ports_size(), 2);
  EXPECT_EQ(br0.ports(0).name(), "br0");
  EXPECT_EQ(br0.ports(0).kind(), v1::PORT_KIND_INTERNAL);
  EXPECT_TRUE(br0.ports(0).agent_owned());
  EXPECT_EQ(br0.ports(1).name(), "br0-to-nf");
  EXPECT_EQ(br0.ports(1).kind(), v1::PORT_KIND_PATCH);
  EXPECT_TRUE(br0.ports(1).agent_owned());
  EXPECT_EQ(Vsctl({"get", "Bridge", "br0", "external_ids:owner"}), "hvagent\n");
  EXPECT_EQ(Vsctl({"get", "Bridge", "br0", "datapath_type"}), "netdev\n");
  // ovs-vswitchd made the host's interface on the bridge.
  EXPECT_TRUE(Eventually([&] { return bed_->Exec({"ip", "link", "show", "br0"}).ok(); }));

  // A restarted agent finds br0 (and its chain) and changes nothing (the same rows).
  const std::string rows = Vsctl({"--columns=_uuid,name,ports,external_ids", "list", "Bridge"}) +
                           Vsctl({"--columns=_uuid,name,interfaces", "list", "Port"});
  const std::string state_dir = agent_->state_dir();
  EXPECT_EQ(agent_->Stop(), 0);
  agent_ = StartAgent(state_dir);
  ASSERT_NE(agent_, nullptr);
  ASSERT_TRUE(Eventually([&] {
    v1::ListBridgesResponse list;
    // br0 and its chain: br.microseg, br.nf, br0, br0.local.
    return stub_->ListBridges(Ctx().get(), {}, &list).ok() && list.bridges_size() == 4;
  }));
  EXPECT_EQ(Vsctl({"--columns=_uuid,name,ports,external_ids", "list", "Bridge"}) +
                Vsctl({"--columns=_uuid,name,interfaces", "list", "Port"}),
            rows);
}

TEST_F(BridgeApiTest, Br0ComesBackWhenOvsdbServerRestartsWithoutItsDatabase) {
  ASSERT_TRUE(Eventually([&] { return bed_->Vsctl({"br-exists", "br0"}).ok(); }));
  const std::string uuid = Vsctl({"get", "Bridge", "br0", "_uuid"});

  // Restarted with its database: br0 is the same row, not a second one.
  ASSERT_TRUE(bed_->StopDaemon("ovsdb"));
  ASSERT_TRUE(bed_->StartDaemon("ovsdb"));
  ASSERT_TRUE(Eventually([&] {
    v1::ListBridgesResponse list;
    // br0 and its chain: br.microseg, br.nf, br0, br0.local.
    return stub_->ListBridges(Ctx().get(), {}, &list).ok() && list.bridges_size() == 4;
  }));
  EXPECT_EQ(Vsctl({"get", "Bridge", "br0", "_uuid"}), uuid);

  // Restarted with a new, empty database (only the root row, as a host's OVS
  // start script leaves it): the agent makes br0 again when it reconnects.
  ASSERT_TRUE(bed_->StopDaemon("ovsdb"));
  const std::string db = bed_->state_dir() + "/ovs/conf.db";
  ASSERT_TRUE(RunProcess({"rm", "-f", db}).ok());
  ASSERT_TRUE(
      RunProcess({"ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema"}).ok());
  ASSERT_TRUE(
      RunProcess({"ovsdb-tool", "transact", db,
                  R"(["Open_vSwitch", {"op": "insert", "table": "Open_vSwitch", "row": {}}])"})
          .ok());
  ASSERT_TRUE(bed_->StartDaemon("ovsdb"));
  ASSERT_TRUE(Eventually([&] { return bed_->Vsctl({"br-exists", "br0"}).ok(); })) << agent_->log();
  EXPECT_NE(Vsctl({"get", "Bridge", "br0", "_uuid"}), uuid);
  EXPECT_EQ(Vsctl({"get", "Bridge", "br0", "external_ids:owner"}), "hvagent\n");
  EXPECT_EQ(Vsctl({"get", "Bridge", "br0", "datapath_type"}), "netdev\n");
  EXPECT_EQ(Vsctl({"get", "Interface", "br0", "type"}), "internal\n");
}

TEST_F(BridgeApiTest, BondLifecycleThroughTheApi) {
  ASSERT_TRUE(Eventually([&] { return bed_->Vsctl({"br-exists", "br0"}).ok(); }));
  v1::CreateBondRequest create;
  create.set_request_id("bond-create-1");
  create.mutable_spec()->add_members("up0");
  create.mutable_spec()->add_members("up1");
  v1::Bond bond;
  grpc::Status s = stub_->CreateBond(Ctx().get(), create, &bond);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Defaults: br0-up on br0, active-backup, LACP off.
  EXPECT_EQ(bond.name(), "br0-up");
  EXPECT_EQ(bond.bridge(), "br0");
  EXPECT_EQ(bond.spec().mode(), v1::BOND_MODE_ACTIVE_BACKUP);
  EXPECT_EQ(bond.lacp_status(), "off");
  ASSERT_EQ(bond.members_size(), 2);
  EXPECT_EQ(Vsctl({"get", "Port", "br0-up", "bond_mode"}), "active-backup\n");
  EXPECT_EQ(Vsctl({"get", "Port", "br0-up", "external_ids:owner"}), "hvagent\n");

  // A retry with the same request_id gets the first answer, acting once.
  v1::Bond replayed;
  s = stub_->CreateBond(Ctx().get(), create, &replayed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(replayed.name(), "br0-up");

  // Status: an active member once ovs-vswitchd has chosen one.
  v1::GetBondRequest get;
  get.set_name("br0-up");
  ASSERT_TRUE(Eventually([&] {
    bond.Clear();
    return stub_->GetBond(Ctx().get(), get, &bond).ok() && !bond.active_member().empty();
  }));
  int active = 0;
  for (const auto& m : bond.members()) {
    EXPECT_TRUE(m.carrier()) << m.name();
    active += m.active() ? 1 : 0;
  }
  EXPECT_EQ(active, 1);

  // In place: a member swapped and the mode changed, same Port row.
  const std::string port_uuid = Vsctl({"get", "Port", "br0-up", "_uuid"});
  v1::UpdateBondRequest update;
  update.set_request_id("bond-update-1");
  update.set_name("br0-up");
  update.mutable_spec()->add_members("up1");
  update.mutable_spec()->add_members("up2");
  update.mutable_spec()->set_mode(v1::BOND_MODE_BALANCE_TCP);
  update.mutable_spec()->set_lacp(v1::LACP_MODE_ACTIVE);
  update.mutable_spec()->set_lacp_time(v1::LACP_TIME_FAST);
  update.mutable_spec()->set_lacp_fallback_active_backup(true);
  s = stub_->UpdateBond(Ctx().get(), update, &bond);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(bond.spec().mode(), v1::BOND_MODE_BALANCE_TCP);
  EXPECT_EQ(bond.spec().lacp(), v1::LACP_MODE_ACTIVE);
  EXPECT_EQ(bond.spec().lacp_time(), v1::LACP_TIME_FAST);
  EXPECT_TRUE(bond.spec().lacp_fallback_active_backup());
  ASSERT_EQ(bond.spec().members_size(), 2);
  EXPECT_EQ(bond.spec().members(0), "up1");
  EXPECT_EQ(bond.spec().members(1), "up2");
  EXPECT_EQ(Vsctl({"get", "Port", "br0-up", "_uuid"}), port_uuid);
  EXPECT_EQ(Vsctl({"get", "Port", "br0-up", "lacp"}), "active\n");
  EXPECT_EQ(Vsctl({"get", "Port", "br0-up", "other_config:lacp-fallback-ab"}), "\"true\"\n");

  v1::ListBondsResponse list;
  ASSERT_TRUE(stub_->ListBonds(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.bonds_size(), 1);
  EXPECT_EQ(list.bonds(0).name(), "br0-up");

  // br0 shows the bond among its ports.
  v1::GetBridgeRequest get_bridge;
  get_bridge.set_name("br0");
  v1::Bridge br0;
  ASSERT_TRUE(stub_->GetBridge(Ctx().get(), get_bridge, &br0).ok());
  bool seen = false;
  for (const auto& p : br0.ports()) {
    if (p.name() == "br0-up") seen = p.kind() == v1::PORT_KIND_BOND && p.agent_owned();
  }
  EXPECT_TRUE(seen);

  v1::DeleteBondRequest del;
  del.set_request_id("bond-delete-1");
  del.set_name("br0-up");
  v1::DeleteBondResponse deleted;
  s = stub_->DeleteBond(Ctx().get(), del, &deleted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(bed_->Vsctl({"get", "Port", "br0-up", "name"}).ok());
  bond.Clear();
  EXPECT_EQ(stub_->GetBond(Ctx().get(), get, &bond).error_code(), grpc::NOT_FOUND);
}

TEST_F(BridgeApiTest, BridgesAndRefusalsMapToGrpcCodes) {
  ASSERT_TRUE(Eventually([&] { return bed_->Vsctl({"br-exists", "br0"}).ok(); }));
  ASSERT_TRUE(bed_->AddNetdevBridge("brx"));  // not the agent's

  v1::CreateBridgeRequest create;
  create.set_request_id("bridge-create-1");
  create.set_name("br1");
  v1::Bridge br1;
  grpc::Status s = stub_->CreateBridge(Ctx().get(), create, &br1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(br1.datapath_type(), v1::DATAPATH_TYPE_NETDEV);  // the configured default
  EXPECT_TRUE(br1.agent_owned());

  // A network on br1 keeps it.
  v1::CreateNetworkRequest net;
  net.set_name("vlan.10");
  net.set_bridge("br1");
  net.set_vlan_id(10);
  v1::Network network;
  ASSERT_TRUE(stub_->CreateNetwork(Ctx().get(), net, &network).ok());

  struct Case {
    const char* what;
    std::function<grpc::Status()> call;
    grpc::StatusCode code;
    const char* message;
  };
  using Stub = v1::NetworkService::Stub;
  const auto create_bond = [&](std::vector<std::string> members,
                               v1::BondMode mode = v1::BOND_MODE_UNSPECIFIED) {
    return [&, members, mode] {
      v1::CreateBondRequest r;
      for (const std::string& m : members) r.mutable_spec()->add_members(m);
      r.mutable_spec()->set_mode(mode);
      return CallStatus(*stub_, &Stub::CreateBond, r);
    };
  };
  const auto create_bridge = [&](const std::string& name) {
    return [&, name] {
      return CallStatus(*stub_, &Stub::CreateBridge, Named<v1::CreateBridgeRequest>(name));
    };
  };
  const auto delete_bridge = [&](const std::string& name) {
    return [&, name] {
      return CallStatus(*stub_, &Stub::DeleteBridge, Named<v1::DeleteBridgeRequest>(name));
    };
  };
  const std::vector<Case> cases = {
      {"bond of one member", create_bond({"up0"}), grpc::INVALID_ARGUMENT, "spec.members"},
      {"unknown NIC", create_bond({"up0", "nosuchnic0"}), grpc::FAILED_PRECONDITION,
       "'nosuchnic0' is not a network interface"},
      {"balance-tcp without LACP", create_bond({"up0", "up1"}, v1::BOND_MODE_BALANCE_TCP),
       grpc::INVALID_ARGUMENT, "spec.mode: balance-tcp needs LACP"},
      {"unknown bond mode", create_bond({"up0", "up1"}, static_cast<v1::BondMode>(42)),
       grpc::INVALID_ARGUMENT, "spec.mode"},
      {"missing bond",
       [&] { return CallStatus(*stub_, &Stub::GetBond, Named<v1::GetBondRequest>("nobond")); },
       grpc::NOT_FOUND, "nobond"},
      {"missing bridge",
       [&] { return CallStatus(*stub_, &Stub::GetBridge, Named<v1::GetBridgeRequest>("br9")); },
       grpc::NOT_FOUND, "br9"},
      {"bridge name too long", create_bridge("a-very-long-bridge"), grpc::INVALID_ARGUMENT, "name"},
      {"bridge exists", create_bridge("brx"), grpc::ALREADY_EXISTS, "brx"},
      {"foreign bridge", delete_bridge("brx"), grpc::FAILED_PRECONDITION, "not created by hvagent"},
      {"the default bridge", delete_bridge("br0"), grpc::FAILED_PRECONDITION, "default bridge"},
      {"a bridge of br0's chain", delete_bridge("br.nf"), grpc::FAILED_PRECONDITION,
       "bridge chain"},
      {"bridge used by a network", delete_bridge("br1"), grpc::FAILED_PRECONDITION,
       "used by networks (vlan.10)"},
  };
  for (const Case& c : cases) {
    const grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), c.code) << c.what << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(c.message), std::string::npos)
        << c.what << ": " << status.error_message();
  }
  EXPECT_TRUE(bed_->Vsctl({"br-exists", "brx"}).ok());
  EXPECT_TRUE(bed_->Vsctl({"br-exists", "br1"}).ok());

  v1::DeleteNetworkRequest del_net;
  del_net.set_name("vlan.10");
  v1::DeleteNetworkResponse net_deleted;
  ASSERT_TRUE(stub_->DeleteNetwork(Ctx().get(), del_net, &net_deleted).ok());
  v1::DeleteBridgeRequest del;
  del.set_name("br1");
  v1::DeleteBridgeResponse deleted;
  s = stub_->DeleteBridge(Ctx().get(), del, &deleted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(bed_->Vsctl({"br-exists", "br1"}).ok());
  v1::ListBridgesResponse list;
  ASSERT_TRUE(stub_->ListBridges(Ctx().get(), {}, &list).ok());
  // br0's chain (br.microseg, br.nf, br0.local) in the name order.
  ASSERT_EQ(list.bridges_size(), 5);
  EXPECT_EQ(list.bridges(2).name(), "br0");
  EXPECT_EQ(list.bridges(4).name(), "brx");
  EXPECT_FALSE(list.bridges(4).agent_owned());
}

}  // namespace
}  // namespace hvagent::testing
