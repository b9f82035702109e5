// The API against the real testbed daemons: networks and every error status,
// request_id replay across an agent crash, health following ovsdb-server and
// libvirtd, and the event stream with resume.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "event_watch.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "hvagent/v1/events.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartTestbedWithBr0OrFail().release();
    ASSERT_NE(bed_, nullptr);
  }
  static void TearDownTestSuite() {
    delete bed_;
    bed_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(bed_, nullptr);
    agent_ = StartAgent();
    ASSERT_NE(agent_, nullptr);
  }

  std::unique_ptr<AgentProcess> StartAgent(std::vector<std::string> extra = {},
                                           const std::string& state_dir = "") {
    auto agent = std::make_unique<AgentProcess>(
        AgentOptions{.libvirt_uri = bed_->libvirt_uri(),
                     .ovsdb_endpoint = "unix:" + bed_->ovsdb_socket(),
                     .state_dir = state_dir,
                     .extra_args = std::move(extra)});
    EXPECT_TRUE(agent->Start()) << agent->log();
    return agent;
  }

  grpc::Status Create(const std::string& name, uint32_t vlan, v1::Network* out,
                      const std::string& request_id = "", const std::string& bridge = "") {
    v1::CreateNetworkRequest req;
    req.set_name(name);
    req.set_vlan_id(vlan);
    req.set_request_id(request_id);
    req.set_bridge(bridge);
    return v1::NetworkService::NewStub(agent_->Channel())->CreateNetwork(Ctx().get(), req, out);
  }

  std::vector<std::string> ListNames() {
    v1::ListNetworksResponse resp;
    EXPECT_TRUE(
        v1::NetworkService::NewStub(agent_->Channel())->ListNetworks(Ctx().get(), {}, &resp).ok());
    std::vector<std::string> names;
    for (const auto& n : resp.networks()) names.push_back(n.name());
    return names;
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service = "") {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    grpc::health::v1::Health::NewStub(agent_->Channel())->Check(Ctx().get(), req, &resp);
    return resp.status();
  }

  bool WaitForHealth(HealthCheckResponse::ServingStatus want, const std::string& service = "") {
    return Eventually([&] { return Health(service) == want; }, "the health status",
                      std::chrono::seconds(30));
  }

  static Testbed* bed_;
  std::unique_ptr<AgentProcess> agent_;
};

Testbed* ApiTest::bed_ = nullptr;

TEST_F(ApiTest, NetworkLifecycleAndEveryRejectionLeavesStateUntouched) {
  v1::Network created;
  const grpc::Status made = Create("vlan.10", 10, &created);
  ASSERT_TRUE(made.ok()) << made.error_message() << agent_->log();
  EXPECT_EQ(created.bridge(), "br0");
  EXPECT_EQ(created.vlan_id(), 10u);
  EXPECT_EQ(created.generation(), 1);
  EXPECT_EQ(created.uuid().size(), 36u);

  struct Rejection {
    std::string name;
    uint32_t vlan;
    std::string request_id;
    std::string bridge;
    grpc::StatusCode code;
    std::string says;
  };
  const std::vector<Rejection> rejections = {
      {"a'><devices>", 10, "", "", grpc::INVALID_ARGUMENT, "name: must use only"},
      {"", 10, "", "", grpc::INVALID_ARGUMENT, "name: is required"},
      {std::string(65, 'n'), 10, "", "", grpc::INVALID_ARGUMENT, "at most 64"},
      {"vlan.x", 5000, "", "", grpc::INVALID_ARGUMENT, "vlan_id: must be 0 (untagged) or 1–4094"},
      {"vlan.y", 11, "bad id", "", grpc::INVALID_ARGUMENT, "request_id"},
      {"vlan.z", 12, "", "a-bridge-name-too-long", grpc::INVALID_ARGUMENT,
       "bridge: must be at most 15"},
      {"vlan.10", 10, "", "", grpc::ALREADY_EXISTS, "network 'vlan.10' already exists"},
      {"vlan.30", 30, "", "br9", grpc::FAILED_PRECONDITION, "bridge: 'br9' does not exist"},
  };
  for (const Rejection& r : rejections) {
    v1::Network out;
    const grpc::Status s = Create(r.name, r.vlan, &out, r.request_id, r.bridge);
    EXPECT_EQ(s.error_code(), r.code) << r.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(r.says)) << r.name;
  }

  auto stub = v1::NetworkService::NewStub(agent_->Channel());
  v1::GetNetworkRequest get;
  get.set_name("nope");
  v1::Network out;
  EXPECT_EQ(stub->GetNetwork(Ctx().get(), get, &out).error_code(), grpc::NOT_FOUND);
  v1::DeleteNetworkRequest del;
  del.set_name("nope");
  v1::DeleteNetworkResponse del_resp;
  EXPECT_EQ(stub->DeleteNetwork(Ctx().get(), del, &del_resp).error_code(), grpc::NOT_FOUND);

  // A stale generation is a conflicting concurrent change: ABORTED.
  v1::UpdateNetworkRequest update;
  update.set_name("vlan.10");
  update.set_vlan_id(11);
  update.set_expected_generation(7);
  const grpc::Status stale = stub->UpdateNetwork(Ctx().get(), update, &out);
  EXPECT_EQ(stale.error_code(), grpc::ABORTED) << stale.error_message();

  // Nothing any rejection touched changed.
  EXPECT_EQ(ListNames(), std::vector<std::string>{"vlan.10"});
  // One log line per call, with method, peer, duration and status.
  EXPECT_THAT(agent_->log(), HasSubstr("rpc /hvagent.v1.NetworkService/CreateNetwork peer=unix"));
  EXPECT_THAT(agent_->log(), HasSubstr("status=6 network 'vlan.10' already exists"));
  get.set_name("vlan.10");
  ASSERT_TRUE(stub->GetNetwork(Ctx().get(), get, &out).ok());
  EXPECT_EQ(out.uuid(), created.uuid());
  EXPECT_EQ(out.vlan_id(), 10u);
  EXPECT_EQ(out.generation(), 1);

  update.set_expected_generation(1);
  ASSERT_TRUE(stub->UpdateNetwork(Ctx().get(), update, &out).ok());
  EXPECT_EQ(out.vlan_id(), 11u);
  EXPECT_EQ(out.generation(), 2);
  del.set_name("vlan.10");
  ASSERT_TRUE(stub->DeleteNetwork(Ctx().get(), del, &del_resp).ok());
  EXPECT_TRUE(ListNames().empty());
}

TEST_F(ApiTest, ResourceExhaustedAtTheNetworkLimit) {
  agent_.reset();
  agent_ = StartAgent({"--max-networks", "2"});
  v1::Network out;
  ASSERT_TRUE(Create("net.a", 1, &out).ok());
  ASSERT_TRUE(Create("net.b", 2, &out).ok());
  const grpc::Status third = Create("net.c", 3, &out);
  EXPECT_EQ(third.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_THAT(third.error_message(), HasSubstr("at most 2 (limits.max_networks)"));
  EXPECT_EQ(ListNames(), (std::vector<std::string>{"net.a", "net.b"}));
}

TEST_F(ApiTest, RequestIdReplaySurvivesAnAgentCrash) {
  const std::string state = agent_->state_dir();
  v1::Network first;
  ASSERT_TRUE(Create("vlan.40", 40, &first, "req-40").ok());

  // A crash (SIGKILL), then a new agent on the same local store.
  agent_->Kill();
  auto restarted = StartAgent({}, state);
  std::swap(agent_, restarted);
  restarted.reset();

  v1::Network again;
  const grpc::Status retry = Create("vlan.40", 40, &again, "req-40");
  ASSERT_TRUE(retry.ok()) << retry.error_message();  // not ALREADY_EXISTS: the first result
  EXPECT_EQ(again.uuid(), first.uuid());
  EXPECT_EQ(ListNames(), std::vector<std::string>{"vlan.40"});

  const grpc::Status reused = Create("vlan.41", 41, &again, "req-40");
  EXPECT_EQ(reused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(reused.error_message(), HasSubstr("already used for a different request"));
  EXPECT_EQ(ListNames(), std::vector<std::string>{"vlan.40"});
}

TEST_F(ApiTest, HealthFollowsOvsdbServerAndLibvirtd) {
  ASSERT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));

  ASSERT_TRUE(bed_->StopDaemon("ovsdb"));
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(Health("hvagent.v1.NetworkService"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("hvagent.v1.VmService"), HealthCheckResponse::SERVING);
  v1::Network out;
  const grpc::Status down = Create("vlan.50", 50, &out);
  EXPECT_EQ(down.error_code(), grpc::UNAVAILABLE) << down.error_message();
  ASSERT_TRUE(bed_->StartDaemon("ovsdb"));
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
  EXPECT_TRUE(ListNames().empty());  // the refused create left nothing

  ASSERT_TRUE(bed_->StopDaemon("libvirt"));
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(Health("hvagent.v1.VmService"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Health("hvagent.v1.NetworkService"), HealthCheckResponse::SERVING);
  ASSERT_TRUE(bed_->StartDaemon("libvirt"));
  EXPECT_TRUE(WaitForHealth(HealthCheckResponse::SERVING));
}

// Reads events until `n` arrive or the deadline passes.
TEST_F(ApiTest, EventsStreamFilterAndResumeAfterDisconnect) {
  v1::WatchRequest watch = EventWatch::Of(v1::EVENT_KIND_NETWORK);
  auto live = std::make_unique<EventWatch>(agent_->Channel(), watch, 20);
  v1::Network out;
  ASSERT_TRUE(Create("vlan.60", 60, &out).ok());
  auto first = live->Read(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].kind(), v1::EVENT_KIND_NETWORK);
  EXPECT_EQ(first[0].network().network(), "vlan.60");
  EXPECT_EQ(first[0].network().change(), "created");
  live.reset();

  // While the client is away: two more changes.
  ASSERT_TRUE(Create("vlan.61", 61, &out).ok());
  ASSERT_TRUE(Create("vlan.62", 62, &out).ok());

  watch.set_resume_token(first[0].resume_token());
  auto resumed = std::make_unique<EventWatch>(agent_->Channel(), watch, 20);
  auto missed = resumed->Read(2);
  ASSERT_EQ(missed.size(), 2u);
  EXPECT_EQ(missed[0].network().network(), "vlan.61");
  EXPECT_EQ(missed[1].network().network(), "vlan.62");
  EXPECT_LT(first[0].sequence(), missed[0].sequence());
  EXPECT_LT(missed[0].sequence(), missed[1].sequence());
  resumed.reset();

  // A token from before an agent restart: the ring is gone, so resync.
  const std::string old_token = missed[1].resume_token();
  const std::string state = agent_->state_dir();
  agent_->Stop();
  agent_ = StartAgent({}, state);
  watch.set_resume_token(old_token);
  auto resync = EventWatch(agent_->Channel(), watch, 20).Read(1);
  ASSERT_EQ(resync.size(), 1u);
  EXPECT_EQ(resync[0].kind(), v1::EVENT_KIND_RESYNC_REQUIRED);
  EXPECT_THAT(resync[0].resync_required().reason(), HasSubstr("earlier agent run"));

  // A malformed token is the client's mistake.
  watch.set_resume_token("garbage");
  EventWatch bad(agent_->Channel(), watch, 5);
  v1::Event ignored;
  EXPECT_FALSE(bad.Read(&ignored));
  const grpc::Status bad_status = bad.Finish();
  EXPECT_EQ(bad_status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(bad_status.error_message(), HasSubstr("resume_token"));
}

TEST_F(ApiTest, BackendOutagesAreEvents) {
  v1::WatchRequest watch = EventWatch::Of(v1::EVENT_KIND_BACKEND);
  watch.set_object_name("ovsdb");
  EventWatch backend(agent_->Channel(), watch, 60);
  ASSERT_TRUE(bed_->StopDaemon("ovsdb"));
  auto down = backend.Read(1);
  ASSERT_TRUE(bed_->StartDaemon("ovsdb"));
  auto up = backend.Read(1);
  backend.Close();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].backend().backend(), "ovsdb");
  EXPECT_EQ(down[0].backend().state().state(), v1::BACKEND_STATE_UNREACHABLE);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].backend().state().state(), v1::BACKEND_STATE_CONNECTED);
}

TEST_F(ApiTest, SlowWatcherNeverSlowsTheAgentAndIsToldToResync) {
  agent_.reset();
  agent_ = StartAgent({"--event-ring-capacity", "16"});
  // A client that advertises a tiny receive window and does not read: the
  // agent's writes to it stall after a few events.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  auto slow_channel = grpc::CreateCustomChannel("unix:" + agent_->socket(),
                                                grpc::InsecureChannelCredentials(), args);
  auto ctx = Ctx(120);
  v1::WatchRequest all;
  auto slow = v1::EventService::NewStub(slow_channel)->Watch(ctx.get(), all);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Meanwhile the agent keeps answering: 150 changes, 300 events.
  auto stub = v1::NetworkService::NewStub(agent_->Channel());
  for (int i = 0; i < 150; ++i) {
    v1::Network out;
    ASSERT_TRUE(Create("slow." + std::to_string(i), 100, &out).ok()) << i;
    v1::DeleteNetworkRequest del;
    del.set_name(out.name());
    v1::DeleteNetworkResponse del_resp;
    ASSERT_TRUE(stub->DeleteNetwork(Ctx().get(), del, &del_resp).ok()) << i;
  }

  // When the slow client finally reads, it learns that it missed events.
  bool told_to_resync = false;
  v1::Event event;
  for (int i = 0; i < 400 && !told_to_resync && slow->Read(&event); ++i) {
    told_to_resync = event.kind() == v1::EVENT_KIND_RESYNC_REQUIRED;
  }
  EXPECT_TRUE(told_to_resync);
  ctx->TryCancel();
  slow->Finish();
}

TEST_F(ApiTest, GarbageRequestsGetErrorsAndTheAgentLivesOn) {
  std::mt19937 rng(42);
  const std::vector<std::string> methods = {
      "/hvagent.v1.NetworkService/CreateNetwork", "/hvagent.v1.NetworkService/UpdateNetwork",
      "/hvagent.v1.NetworkService/DeleteNetwork", "/hvagent.v1.NetworkService/ListNetworks",
      "/hvagent.v1.HostService/GetHost",          "/hvagent.v1.VmService/CreateVm"};
  for (const std::string& method : methods) {
    for (int round = 0; round < 20; ++round) {
      std::string bytes(static_cast<size_t>(rng() % 200), '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      const grpc::Status status = CallWithBytes(agent_->Channel(), method, bytes, 5);
      // Undecodable bytes are refused; decodable ones are validated like any call.
      EXPECT_NE(status.error_code(), grpc::UNKNOWN) << method << ": " << status.error_message();
      EXPECT_NE(status.error_code(), grpc::UNIMPLEMENTED)
          << method << ": " << status.error_message();
    }
  }
  grpc::health::v1::HealthCheckRequest req;
  HealthCheckResponse resp;
  EXPECT_TRUE(
      grpc::health::v1::Health::NewStub(agent_->Channel())->Check(Ctx().get(), req, &resp).ok());
  // Whatever random bytes decoded to, no network with an invalid name exists.
  for (const std::string& name : ListNames()) {
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    })) << name;
  }
}

TEST_F(ApiTest, UndecodableRequestBytesAreInvalidArgumentNamingTheMessageType) {
  grpc::GenericStub generic(agent_->Channel());
  // Field 1 as a length-delimited string of 100 bytes, with 2 sent: cut short.
  const std::string truncated("\x0a\x64\x61\x62", 4);
  grpc::Slice slice(truncated);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto ctx = Ctx(5);
  std::promise<grpc::Status> done;
  generic.UnaryCall(ctx.get(), "/hvagent.v1.VmService/CreateVm", grpc::StubOptions(), &request,
                    &response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(status.error_message(),
            "request: the bytes sent do not decode as hvagent.v1.CreateVmRequest");
  // A method that does not exist is still UNIMPLEMENTED.
  auto ctx2 = Ctx(5);
  std::promise<grpc::Status> missing;
  generic.UnaryCall(ctx2.get(), "/hvagent.v1.VmService/NoSuchMethod", grpc::StubOptions(), &request,
                    &response, [&missing](grpc::Status s) { missing.set_value(std::move(s)); });
  EXPECT_EQ(missing.get_future().get().error_code(), grpc::UNIMPLEMENTED);
}

TEST_F(ApiTest, MigrateVmNamesAMissingDestination) {
  v1::MigrateVmRequest migrate;
  migrate.set_name("x");
  v1::Migration migration;
  const grpc::Status s =
      v1::VmService::NewStub(agent_->Channel())->MigrateVm(Ctx().get(), migrate, &migration);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("destination"));
}

TEST_F(ApiTest, AnEmptyServiceChainIsRefusedNamingTheField) {
  v1::ServiceChain chain;
  const grpc::Status s =
      v1::NetworkService::NewStub(agent_->Channel())->CreateServiceChain(Ctx().get(), {}, &chain);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("chain.name"));
}

}  // namespace
}  // namespace hvagent::testing
