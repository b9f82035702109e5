// hvctl's commands against in-process fake services: the requests each command
// line builds (the seed's trunked NIC, merged updates, paging, fresh
// request ids), how replies and errors are printed, and script mode.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hvagent/cli/commands.h"
#include "hvagent/cli/runner.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"

namespace hvagent::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records what it was asked; answers like a small agent.
class FakeVmService final : public v1::VmService::Service {
 public:
  grpc::Status CreateNic(grpc::ServerContext*, const v1::CreateNicRequest* request,
                         v1::Nic* reply) override {
    std::lock_guard lock(mu);
    create_nic.push_back(*request);
    reply->set_mac(request->spec().mac().empty() ? "52:54:00:00:00:01" : request->spec().mac());
    *reply->mutable_spec() = request->spec();
    reply->set_tap("hvt000000000001");
    reply->set_bridge("br0");
    return grpc::Status::OK;
  }
  grpc::Status GetNic(grpc::ServerContext*, const v1::GetNicRequest* request,
                      v1::Nic* reply) override {
    if (request->mac() != "52:54:00:00:00:01") return {grpc::NOT_FOUND, "no such nic"};
    reply->set_mac(request->mac());
    reply->mutable_spec()->set_network("vlan.10");
    reply->mutable_spec()->set_vlan_mode(v1::VLAN_MODE_TRUNKED);
    reply->mutable_spec()->add_trunked_vlans(20);
    reply->mutable_spec()->mutable_qos()->set_egress_rate_kbps(1000);
    return grpc::Status::OK;
  }
  grpc::Status UpdateNic(grpc::ServerContext*, const v1::UpdateNicRequest* request,
                         v1::Nic* reply) override {
    std::lock_guard lock(mu);
    update_nic.push_back(*request);
    reply->set_mac(request->mac());
    *reply->mutable_spec() = request->spec();
    return grpc::Status::OK;
  }
  grpc::Status PowerOn(grpc::ServerContext*, const v1::VmPowerRequest* request,
                       v1::Vm* reply) override {
    std::lock_guard lock(mu);
    power_on.push_back(*request);
    reply->mutable_spec()->set_name(request->name());
    reply->set_power_state(v1::POWER_STATE_ON);
    return grpc::Status::OK;
  }
  grpc::Status ListVms(grpc::ServerContext*, const v1::ListVmsRequest*,
                       v1::ListVmsResponse* reply) override {
    for (const char* name : {"a", "web-server-1"}) {
      v1::Vm* vm = reply->add_vms();
      vm->mutable_spec()->set_name(name);
      vm->mutable_spec()->set_num_vcpus(2);
      vm->mutable_spec()->set_memory_bytes(512ULL << 20);
      vm->set_power_state(v1::POWER_STATE_OFF);
      vm->set_uuid(std::string(name) + "-uuid");
    }
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<v1::CreateNicRequest> create_nic;
  std::vector<v1::UpdateNicRequest> update_nic;
  std::vector<v1::VmPowerRequest> power_on;
};

// Networks in pages of two; bridges are not implemented (the base class answers UNIMPLEMENTED).
class FakeNetworkService final : public v1::NetworkService::Service {
 public:
  grpc::Status ListNetworks(grpc::ServerContext*, const v1::ListNetworksRequest* request,
                            v1::ListNetworksResponse* reply) override {
    const int start =
        request->page().page_token().empty() ? 0 : std::stoi(request->page().page_token());
    for (int i = start; i < start + 2 && i < 5; ++i) {
      v1::Network* n = reply->add_networks();
      n->set_name("vlan." + std::to_string(10 * (i + 1)));
      n->set_vlan_id(10 * (i + 1));
      n->set_bridge("br0");
    }
    if (start + 2 < 5) reply->mutable_page()->set_next_page_token(std::to_string(start + 2));
    return grpc::Status::OK;
  }
  grpc::Status CreateNetwork(grpc::ServerContext*, const v1::CreateNetworkRequest* request,
                             v1::Network* reply) override {
    if (request->name() == "taken") return {grpc::ALREADY_EXISTS, "network 'taken' exists"};
    reply->set_name(request->name());
    reply->set_vlan_id(request->vlan_id());
    return grpc::Status::OK;
  }
};

class CliCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&vms_);
    builder.RegisterService(&networks_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  struct Result {
    int code;
    std::string out;
    std::string err;
  };
  Result Run(const std::string& line, bool json = false, ClientOptions options = {}) {
    std::ostringstream out;
    std::ostringstream err;
    Runner runner(table_, std::move(options), json, out, err);
    runner.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));
    const int code = runner.RunLine(line);
    return {code, out.str(), err.str()};
  }

  const CommandTable table_ = BuildCommandTable();
  FakeVmService vms_;
  FakeNetworkService networks_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(CliCommandsTest, SeedsTrunkedNicBecomesOneCreateNicRequest) {
  const Result r =
      Run("vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30 network=vlan.10");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(vms_.create_nic.size(), 1u);
  const v1::CreateNicRequest& req = vms_.create_nic[0];
  EXPECT_EQ(req.vm_name(), "fooVM");
  EXPECT_EQ(req.spec().network(), "vlan.10");  // the native network, by name
  EXPECT_EQ(req.spec().vlan_mode(), v1::VLAN_MODE_TRUNKED);
  EXPECT_THAT(req.spec().trunked_vlans(), ElementsAre(10, 20, 30));  // VLAN ids
  EXPECT_TRUE(req.spec().mac().empty());
  EXPECT_THAT(req.request_id(), ::testing::StartsWith("hvctl-"));
  // Text: aligned key/value lines with dotted keys.
  EXPECT_THAT(r.out, HasSubstr("\nspec.network                vlan.10\n"));
  EXPECT_THAT(r.out, HasSubstr("\nspec.trunked_vlans          10,20,30\n"));
  EXPECT_THAT(r.out, HasSubstr("\nspec.vlan_mode              VLAN_MODE_TRUNKED\n"));
  EXPECT_THAT(r.out,
              HasSubstr("\nspec.network_function_role  NETWORK_FUNCTION_NIC_ROLE_UNSPECIFIED\n"));
}

TEST_F(CliCommandsTest, TrunksWithoutTrunkedModeAreRefusedBeforeAnyCall) {
  const Result r = Run("vm.nic_create fooVM network=vlan.10 trunked_networks=10,20");
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.err, "hvctl: vm.nic_create: trunked_networks needs vlan_mode=kTrunked\n");
  EXPECT_TRUE(vms_.create_nic.empty());
}

TEST_F(CliCommandsTest, EveryMutatingCallGetsAFreshRequestIdUnlessOneIsGiven) {
  ASSERT_EQ(Run("vm.on a").code, 0);
  ASSERT_EQ(Run("vm.on a").code, 0);
  ClientOptions retry;
  retry.request_id = "my-retry-1";
  ASSERT_EQ(Run("vm.on a", false, retry).code, 0);
  ASSERT_EQ(vms_.power_on.size(), 3u);
  EXPECT_NE(vms_.power_on[0].request_id(), vms_.power_on[1].request_id());
  EXPECT_THAT(vms_.power_on[0].request_id(), ::testing::MatchesRegex("hvctl-[0-9a-f-]{36}"));
  EXPECT_EQ(vms_.power_on[2].request_id(), "my-retry-1");
}

TEST_F(CliCommandsTest, NicUpdateChangesOnlyTheGivenKeys) {
  const Result r = Run("vm.nic_update fooVM 52:54:00:00:00:01 trunked_networks=20,30");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(vms_.update_nic.size(), 1u);
  const v1::NicSpec& spec = vms_.update_nic[0].spec();
  EXPECT_EQ(spec.network(), "vlan.10");                // kept
  EXPECT_EQ(spec.vlan_mode(), v1::VLAN_MODE_TRUNKED);  // kept
  EXPECT_EQ(spec.qos().egress_rate_kbps(), 1000u);     // kept
  EXPECT_THAT(spec.trunked_vlans(), ElementsAre(20, 30));
  EXPECT_EQ(vms_.update_nic[0].mac(), "52:54:00:00:00:01");

  // Back to access mode drops the trunks.
  ASSERT_EQ(Run("vm.nic_update fooVM 52:54:00:00:00:01 vlan_mode=kAccess").code, 0);
  ASSERT_EQ(vms_.update_nic.size(), 2u);
  EXPECT_TRUE(vms_.update_nic[1].spec().trunked_vlans().empty());

  const Result missing = Run("vm.nic_update fooVM 52:54:00:00:00:99 vlan_mode=kAccess");
  EXPECT_EQ(missing.code, kExitServerError);
  EXPECT_EQ(missing.err, "hvctl: vm.nic_update fooVM 52:54:00:00:00:99: NOT_FOUND: no such nic\n");
  EXPECT_EQ(vms_.update_nic.size(), 2u);
}

TEST_F(CliCommandsTest, ListsAreAlignedTablesAndJsonParsesBack) {
  const Result text = Run("vm.list");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out,
            "NAME          POWER            VCPUS  MEMORY_BYTES  UUID               EXTERNAL\n"
            "a             POWER_STATE_OFF  2      536870912     a-uuid             false\n"
            "web-server-1  POWER_STATE_OFF  2      536870912     web-server-1-uuid  false\n");

  const Result json = Run("vm.list", true);
  ASSERT_EQ(json.code, 0);
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["vms"].size(), 2u);
  EXPECT_EQ(parsed["vms"][1]["spec"]["name"], "web-server-1");
  // Proto field names, enums by name, 64-bit integers as strings, defaults printed.
  EXPECT_EQ(parsed["vms"][0]["power_state"], "POWER_STATE_OFF");
  EXPECT_EQ(parsed["vms"][0]["spec"]["memory_bytes"], "536870912");
  EXPECT_EQ(parsed["vms"][0]["external"], false);
  EXPECT_EQ(parsed["vms"][0]["spec"]["num_cores_per_vcpu"], 0);
}

TEST_F(CliCommandsTest, ListsFollowEveryPage) {
  const Result r = Run("net.list", true);
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json parsed = nlohmann::json::parse(r.out);
  ASSERT_EQ(parsed["networks"].size(), 5u);
  EXPECT_EQ(parsed["networks"][4]["name"], "vlan.50");
  EXPECT_FALSE(parsed.contains("page") &&
               !parsed["page"]["next_page_token"].get<std::string>().empty());
}

TEST_F(CliCommandsTest, ServerErrorsAreOneLineWithTheirCode) {
  const Result exists = Run("net.create taken vlan=10");
  EXPECT_EQ(exists.code, kExitServerError);
  EXPECT_EQ(exists.out, "");
  EXPECT_EQ(exists.err, "hvctl: net.create taken: ALREADY_EXISTS: network 'taken' exists\n");

  // Methods the agent does not implement yet print cleanly too.
  const Result bridge = Run("bridge.create br1");
  EXPECT_EQ(bridge.code, kExitServerError);
  EXPECT_THAT(bridge.err,
              ::testing::MatchesRegex("hvctl: bridge.create br1: UNIMPLEMENTED: [^\n]*\n"));
}

TEST_F(CliCommandsTest, ScriptRunsEveryLineAndExitsWithTheFirstFailure) {
  std::istringstream script(
      "# set up\n"
      "net.create vlan.10 vlan=10\n"
      "\n"
      "vm.nic_create fooVM vlan_mode=kTrunk network=vlan.10\n"  // usage error: 2
      "net.create taken vlan=1\n"                               // server error: 1
      "vm.on fooVM\n");
  std::ostringstream out;
  std::ostringstream err;
  Runner runner(table_, {}, false, out, err);
  runner.UseChannel(server_->InProcessChannel(grpc::ChannelArguments()));
  EXPECT_EQ(runner.RunScript(script), kExitUsage);
  EXPECT_EQ(vms_.power_on.size(), 1u);  // the last line still ran
  EXPECT_THAT(err.str(), HasSubstr("vlan_mode: must be one of kAccess, kTrunked"));
  EXPECT_THAT(err.str(), HasSubstr("ALREADY_EXISTS"));
}

TEST_F(CliCommandsTest, Help) {
  const Result list = Run("help");
  EXPECT_EQ(list.code, 0);
  EXPECT_THAT(list.out, HasSubstr("  vm.nic_create "));
  const Result one = Run("help vm.nic_create");
  EXPECT_EQ(one.code, 0);
  EXPECT_THAT(one.out, HasSubstr("usage: vm.nic_create NAME [network=STRING]"));
  EXPECT_THAT(one.out, HasSubstr("(enum: kAccess|kTrunked)"));
  EXPECT_THAT(one.out, HasSubstr("(int list 1–4094)"));
  const Result unknown = Run("help vm.nic_creat");
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_THAT(unknown.err, HasSubstr("did you mean vm.nic_create?"));
}

}  // namespace
}  // namespace hvagent::cli
