// NetworkService updates resumed after a kill that came once their change
// was stored (the SIGKILL fault suite's window, made here on purpose): the
// intent is still pending and the store already has the change, one
// generation on. The retry must answer that change, not refuse it because the
// generation it expected has moved on.
#include <grpcpp/test/default_reactor_test_peer.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "hvagent/api/network_service.h"
#include "hvagent/api/service_chain_convert.h"
#include "hvagent/store/database.h"
#include "hvagent/store/request_log.h"
#include "hvagent_test/empty_switch.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::api {
namespace {

// Takes every flow change; holds none.
class NoFlows final : public openflow::FlowSwitch {
 public:
  StatusOr<std::vector<openflow::Flow>> DumpAgentFlows(const std::string& /*bridge*/) override {
    return std::vector<openflow::Flow>{};
  }
  Status Apply(const std::string& /*bridge*/, const openflow::FlowChanges& /*changes*/) override {
    return absl::OkStatus();
  }
};

// No VM uses any network.
class NoNics final : public compute::NetworkUsage {
 public:
  StatusOr<std::map<std::string, uint32_t>> NicCounts() override {
    return std::map<std::string, uint32_t>{};
  }
  Status ChangeIfUnused(const std::string& /*network*/, const std::string& /*what*/,
                        const std::function<Status()>& change) override {
    return change();
  }
};

class NetworkServiceResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::Database::Open((dir_ / "agent.db").string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    log_ = std::make_unique<store::RequestLog>(*db_);
    replay_ = std::make_unique<RequestReplay>(*log_);
    networks_ = std::make_unique<store::NetworkStore>(*db_);
    chains_ = std::make_unique<store::ServiceChainStore>(*db_);
    service_ = std::make_unique<NetworkServiceImpl>(
        RpcWorkers{pool_, pool_}, *replay_, access_, events_, *networks_, *chains_, usage_,
        NetworkServiceImpl::Managers{.bridges = bridges_,
                                     .bonds = bonds_,
                                     .internal_ports = internal_ports_,
                                     .tunnels = tunnels_,
                                     .mirrors = mirrors_,
                                     .service_chains = service_chains_},
        NetworkServiceImpl::Limits{});
  }
  void TearDown() override {
    service_.reset();
    chains_.reset();
    networks_.reset();
    replay_.reset();
    log_.reset();
    db_.reset();
  }

  // Runs a handler of the service to its answer.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::ServerUnaryReactor* (NetworkServiceImpl::*handler)(
                        grpc::CallbackServerContext*, const Request*, Response*),
                    const Request& request, Response* response) {
    grpc::CallbackServerContext context;
    std::promise<grpc::Status> finished;
    grpc::testing::DefaultReactorTestPeer peer(
        &context, [&finished](grpc::Status status) { finished.set_value(std::move(status)); });
    ((*service_).*handler)(&context, &request, response);
    grpc::Status status = finished.get_future().get();
    // The test reactor's Finish calls back before it marks the status set:
    // `context` must outlive that last store (ASan saw it freed first).
    while (!peer.test_status_set()) std::this_thread::yield();
    return status;
  }

  // `request` to `method` recorded as an intent not yet answered: a call the
  // agent was killed in.
  void Pending(const std::string& method, const std::string& request_id,
               const google::protobuf::Message& request) {
    ASSERT_TRUE(log_->Save({.request_id = request_id,
                            .method = "/hvagent.v1.NetworkService/" + method,
                            .fingerprint = RequestReplay::Fingerprint(request),
                            .pending = true,
                            .request = request.SerializeAsString()})
                    .ok());
  }

  const hvagent::testing::TempDir dir_{"network-service-resume-test"};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::RequestLog> log_;
  std::unique_ptr<RequestReplay> replay_;
  std::unique_ptr<store::NetworkStore> networks_;
  std::unique_ptr<store::ServiceChainStore> chains_;
  WorkerPool pool_{1, 8};
  AccessPolicy access_;
  EventHub events_;
  NoNics usage_;
  hvagent::testing::EmptySwitch ovsdb_;
  NoFlows flows_;
  network::BridgeManager bridges_{ovsdb_, "netdev"};
  network::BondManager bonds_{ovsdb_};
  network::InternalPortManager internal_ports_{ovsdb_};
  network::TunnelManager tunnels_{ovsdb_};
  network::MirrorManager mirrors_{ovsdb_};
  network::ServiceChainManager service_chains_{
      ovsdb_, flows_,
      [] { return StatusOr<std::vector<openflow::ChainSpec>>(std::vector<openflow::ChainSpec>{}); },
      [](const std::string&, const openflow::ChainStatus&) {}};
  std::unique_ptr<NetworkServiceImpl> service_;
};

TEST_F(NetworkServiceResumeTest, AnUpdatedChainsResumedUpdateAnswersTheChange) {
  v1::CreateServiceChainRequest create;
  create.set_request_id("create-web");
  v1::ServiceChain* chain = create.mutable_chain();
  chain->set_name("web");
  chain->add_nic_macs("52:54:00:00:00:0a");
  v1::PacketProcessor* fw = chain->add_processors();
  fw->set_name("fw");
  fw->set_type(v1::PROCESSOR_TYPE_INLINE);
  fw->set_ingress_nic_mac("52:54:00:f0:00:01");
  fw->set_egress_nic_mac("52:54:00:f0:00:02");
  v1::ServiceChain made;
  const grpc::Status created = Call(&NetworkServiceImpl::CreateServiceChain, create, &made);
  ASSERT_TRUE(created.ok()) << created.error_message();

  v1::UpdateServiceChainRequest update;
  update.set_request_id("update-web");
  *update.mutable_chain() = create.chain();
  update.mutable_chain()->set_failure_policy(v1::FAILURE_POLICY_FAIL_OPEN);
  update.set_expected_generation(made.generation());
  // Killed once the store had the change, before it answered.
  ASSERT_NO_FATAL_FAILURE(Pending("UpdateServiceChain", update.request_id(), update));
  ASSERT_TRUE(chains_->Update("web", SpecJson(update.chain()), made.generation()).ok());

  v1::ServiceChain updated;
  const grpc::Status resumed = Call(&NetworkServiceImpl::UpdateServiceChain, update, &updated);
  ASSERT_TRUE(resumed.ok()) << resumed.error_message();
  EXPECT_EQ(updated.failure_policy(), v1::FAILURE_POLICY_FAIL_OPEN);
  EXPECT_EQ(updated.generation(), made.generation() + 1) << "updated a second time";
  EXPECT_EQ(chains_->Get("web")->generation, made.generation() + 1);
  // Answered now: a later retry replays that answer.
  v1::ServiceChain replayed;
  ASSERT_TRUE(Call(&NetworkServiceImpl::UpdateServiceChain, update, &replayed).ok());
  EXPECT_EQ(replayed.SerializeAsString(), updated.SerializeAsString());

  // A retry of a call cut short before it stored anything still updates.
  v1::UpdateServiceChainRequest closed = update;
  closed.set_request_id("update-web-2");
  closed.mutable_chain()->set_failure_policy(v1::FAILURE_POLICY_FAIL_CLOSED);
  closed.set_expected_generation(updated.generation());
  ASSERT_NO_FATAL_FAILURE(Pending("UpdateServiceChain", closed.request_id(), closed));
  ASSERT_TRUE(Call(&NetworkServiceImpl::UpdateServiceChain, closed, &updated).ok());
  EXPECT_EQ(updated.failure_policy(), v1::FAILURE_POLICY_FAIL_CLOSED);
  EXPECT_EQ(updated.generation(), made.generation() + 2);
}

TEST_F(NetworkServiceResumeTest, AnUpdatedNetworksResumedUpdateAnswersTheChange) {
  // Stored as CreateNetwork stores it (there is no br0 for it to check here).
  ASSERT_TRUE(
      networks_->Insert({.name = "vlan.10", .uuid = "n-1", .bridge = "br0", .vlan_id = 10}).ok());
  const auto made = networks_->Get("vlan.10");
  ASSERT_TRUE(made.ok());

  v1::UpdateNetworkRequest update;
  update.set_request_id("update-net");
  update.set_name("vlan.10");
  update.set_vlan_id(11);
  update.set_expected_generation(made->generation);
  // Killed once the store had the change, before it answered.
  ASSERT_NO_FATAL_FAILURE(Pending("UpdateNetwork", update.request_id(), update));
  auto record = networks_->Get("vlan.10");
  ASSERT_TRUE(record.ok());
  record->vlan_id = 11;
  ASSERT_TRUE(networks_->Update(*record, made->generation).ok());

  v1::Network updated;
  const grpc::Status resumed = Call(&NetworkServiceImpl::UpdateNetwork, update, &updated);
  ASSERT_TRUE(resumed.ok()) << resumed.error_message();
  EXPECT_EQ(updated.vlan_id(), 11u);
  EXPECT_EQ(updated.generation(), made->generation + 1) << "updated a second time";
  EXPECT_EQ(networks_->Get("vlan.10")->generation, made->generation + 1);

  // A retry of a call cut short before it stored anything still updates.
  v1::UpdateNetworkRequest again = update;
  again.set_request_id("update-net-2");
  again.set_vlan_id(12);
  again.set_expected_generation(updated.generation());
  ASSERT_NO_FATAL_FAILURE(Pending("UpdateNetwork", again.request_id(), again));
  ASSERT_TRUE(Call(&NetworkServiceImpl::UpdateNetwork, again, &updated).ok());
  EXPECT_EQ(updated.vlan_id(), 12u);
  EXPECT_EQ(updated.generation(), made->generation + 2);
}

}  // namespace
}  // namespace hvagent::api
