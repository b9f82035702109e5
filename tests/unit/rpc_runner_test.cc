// The RPC shape's pure parts: method paths come from the generated service
// descriptor (a wrong handler name is caught), and paging is one loop; and
// reads run apart from changes.
#include "hvagent/api/rpc_runner.h"

#include <grpcpp/test/default_reactor_test_peer.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "hvagent/store/database.h"
#include "hvagent/store/request_log.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"

namespace hvagent::api {
namespace {

class RpcRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rpc-runner-test." + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    auto db = store::Database::Open((dir_ / "agent.db").string());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    log_ = std::make_unique<store::RequestLog>(*db_);
    replay_ = std::make_unique<RequestReplay>(*log_);
  }
  void TearDown() override {
    replay_.reset();
    log_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::RequestLog> log_;
  std::unique_ptr<RequestReplay> replay_;
  WorkerPool pool_{1, 8};
  AccessPolicy access_;
};

TEST_F(RpcRunnerTest, MethodPathsComeFromTheServiceDescriptor) {
  // The services' files are in the generated pool once linked, as the daemon
  // links them through its service implementations.
  ASSERT_NE(v1::Vm::descriptor(), nullptr);
  ASSERT_NE(v1::Network::descriptor(), nullptr);
  RpcRunner vms(v1::VmService::service_full_name(), {pool_, pool_}, *replay_, access_);
  EXPECT_EQ(*vms.MethodPath("CreateVm"), "/hvagent.v1.VmService/CreateVm");
  RpcRunner networks(v1::NetworkService::service_full_name(), {pool_, pool_}, *replay_, access_);
  EXPECT_EQ(*networks.MethodPath("DeleteBond"), "/hvagent.v1.NetworkService/DeleteBond");
  // A handler that passed another service's method, or a helper's own name.
  auto wrong = vms.MethodPath("CreateNetwork");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(wrong.status().message(), "hvagent.v1.VmService has no method 'CreateNetwork'");
  EXPECT_FALSE(vms.MethodPath("RunPower").ok());
  RpcRunner unknown("hvagent.v1.NoSuchService", {pool_, pool_}, *replay_, access_);
  EXPECT_EQ(unknown.MethodPath("CreateVm").status().code(), absl::StatusCode::kInternal);
}

TEST(PaginateTest, PagesFollowTheLastNameShown) {
  const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
  auto page = [&](uint32_t size, const std::string& token, std::vector<std::string>* shown) {
    return Paginate(
        names, size, token, [](const std::string& n) -> const std::string& { return n; },
        [shown](const std::string& n) { shown->push_back(n); });
  };
  std::vector<std::string> first, second, third;
  EXPECT_EQ(page(2, "", &first), "b");
  EXPECT_EQ(first, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page(2, "b", &second), "d");
  EXPECT_EQ(second, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(page(2, "d", &third), "");
  EXPECT_EQ(third, (std::vector<std::string>{"e"}));
  std::vector<std::string> all;
  EXPECT_EQ(page(0, "", &all), "") << "0 means 100";
  EXPECT_EQ(all.size(), 5u);
  std::vector<std::string> exact;
  EXPECT_EQ(page(5, "", &exact), "") << "no next page when nothing remains";
}

TEST_F(RpcRunnerTest, AReadRunsWhileChangesHoldEveryChangeWorker) {
  WorkerPool changes{1, 8};
  WorkerPool reads{1, 8};
  RpcRunner vms(v1::VmService::service_full_name(), {changes, reads}, *replay_, access_);
  // The one change worker is held (a Shutdown waiting for its guest).
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(changes.Submit("vm/a", [released] { released.wait(); }).ok());

  grpc::CallbackServerContext context;
  std::promise<grpc::Status> finished;
  grpc::testing::DefaultReactorTestPeer peer(
      &context, [&finished](grpc::Status status) { finished.set_value(std::move(status)); });
  vms.Read(&context, absl::OkStatus(), [] { return absl::OkStatus(); });
  auto done = finished.get_future();
  EXPECT_EQ(done.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the read waited behind the change";
  release.set_value();
  EXPECT_TRUE(done.get().ok());
  // Finish calls back before it marks the status set: `context` outlives it.
  while (!peer.test_status_set()) std::this_thread::yield();
}

}  // namespace
}  // namespace hvagent::api
