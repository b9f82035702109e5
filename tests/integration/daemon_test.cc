// hvagentd as a process: its local endpoint, health, shutdown and config errors.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent_test/ovsdb_server.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

std::string Agent() { return BuildDir() + "/src/daemon/hvagentd"; }

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hvagentd-test." + std::to_string(getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "agent.sock").string();
    ovsdb_ = StartOrFail<OvsdbServer>();
    ASSERT_NE(ovsdb_, nullptr);
    log_ = (dir_ / "agent.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<BackgroundProcess> StartAgent(
      const std::string& libvirt_uri = "test:///default") {
    std::vector<std::string> argv{Agent(),
                                  "--config",
                                  (dir_ / "none.toml").string(),
                                  "--unix-socket",
                                  socket_,
                                  "--libvirt-uri",
                                  libvirt_uri,
                                  "--state-dir",
                                  (dir_ / "state").string(),
                                  "--ovsdb",
                                  ovsdb_->endpoint(),
                                  "--metrics-listen",
                                  "127.0.0.1:0"};
    // The named config file must exist: an empty one.
    std::ofstream(dir_ / "none.toml").close();
    auto agent = std::make_unique<BackgroundProcess>(argv, log_);
    for (int i = 0; i < 100 && !std::filesystem::exists(socket_) && agent->Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // The socket's file comes with bind(), a moment before listen(): a
    // connect in between is refused (one CI run under load met it).
    if (agent->Running()) {
      Channel()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
    }
    return agent;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    return grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service = "") {
    auto stub = grpc::health::v1::Health::NewStub(Channel());
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    const grpc::Status status = stub->Check(&ctx, req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.status();
  }

  std::unique_ptr<OvsdbServer> ovsdb_;
  std::filesystem::path dir_;
  std::string socket_;
  std::string log_;
};

TEST_F(DaemonTest, ServesHealthAndHostOnAnOwnerOnlyUnixSocket) {
  auto agent = StartAgent();
  ASSERT_TRUE(agent->Running()) << ReadFile(log_);
  struct stat st {};
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);
  EXPECT_EQ(Health("hvagent.v1.HostService"), HealthCheckResponse::SERVING);

  auto stub = hvagent::v1::HostService::NewStub(Channel());
  grpc::ClientContext ctx;
  hvagent::v1::Host host;
  ASSERT_TRUE(stub->GetHost(&ctx, {}, &host).ok());
  EXPECT_FALSE(host.hostname().empty());
  EXPECT_FALSE(host.agent_version().empty());
  EXPECT_EQ(host.libvirt().endpoint(), "test:///default");
  EXPECT_EQ(host.libvirt().state(), hvagent::v1::BACKEND_STATE_CONNECTED);
  EXPECT_FALSE(host.libvirt().version().empty());
}

TEST_F(DaemonTest, NotServingWhileLibvirtIsUnreachable) {
  auto agent = StartAgent("qemu+unix:///system?socket=/nonexistent/sock");
  ASSERT_TRUE(agent->Running()) << ReadFile(log_);
  EXPECT_EQ(Health(), HealthCheckResponse::NOT_SERVING);
  auto stub = hvagent::v1::HostService::NewStub(Channel());
  grpc::ClientContext ctx;
  hvagent::v1::Host host;
  ASSERT_TRUE(stub->GetHost(&ctx, {}, &host).ok());
  EXPECT_EQ(host.libvirt().state(), hvagent::v1::BACKEND_STATE_UNREACHABLE);
}

TEST_F(DaemonTest, SigtermStopsCleanlyAndRemovesTheSocket) {
  auto agent = StartAgent();
  ASSERT_TRUE(agent->Running());
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->Wait(std::chrono::seconds(15)), 0) << ReadFile(log_);
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(DaemonTest, SighupReloadsTheLogLevel) {
  auto agent = StartAgent();
  ASSERT_TRUE(agent->Running());
  std::ofstream(dir_ / "none.toml") << "[log]\nlevel = \"debug\"\n";
  agent->Signal(SIGHUP);
  EXPECT_TRUE(
      Eventually([&] { return ReadFile(log_).find("log level is now debug") != std::string::npos; },
                 "the reload", std::chrono::seconds(5)))
      << ReadFile(log_);
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);  // still serving after the reload
}

TEST_F(DaemonTest, RefusesTheSocketOfAnotherRunningAgent) {
  auto first = StartAgent();
  ASSERT_TRUE(first->Running());
  const ProcessResult second =
      RunProcess({Agent(), "--config", (dir_ / "none.toml").string(), "--unix-socket", socket_,
                  "--libvirt-uri", "test:///default", "--ovsdb", ovsdb_->endpoint(), "--state-dir",
                  (dir_ / "state2").string()});
  EXPECT_NE(second.exit_code, 0);
  // Refused before it touched anything: not even its local store exists.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state2"));
  EXPECT_NE(second.err.find("another process already serves api.unix_socket"), std::string::npos)
      << second.err;
  EXPECT_EQ(Health(), HealthCheckResponse::SERVING);  // the first one is untouched
}

TEST_F(DaemonTest, BadConfigIsAStartupErrorNamingTheKey) {
  std::ofstream(dir_ / "bad.toml") << "[log]\nlevl = \"debug\"\n";
  const ProcessResult r = RunProcess({Agent(), "--config", (dir_ / "bad.toml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown config key 'log.levl'"), std::string::npos) << r.err;

  std::ofstream(dir_ / "none.toml").close();
  const ProcessResult flag = RunProcess({Agent(), "--config", (dir_ / "none.toml").string(),
                                         "--log-level", "chatty", "--unix-socket", socket_});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_NE(flag.err.find("log.level 'chatty'"), std::string::npos) << flag.err;
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace hvagent::testing
