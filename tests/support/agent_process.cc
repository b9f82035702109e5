#include "hvagent_test/agent_process.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <grpcpp/generic/generic_stub.h>

#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {

AgentOptions AgentOnTestbed(const Testbed& bed, std::vector<std::string> extra_args,
                            std::string state_dir) {
  return {.libvirt_uri = bed.libvirt_uri(),
          .ovsdb_endpoint = "unix:" + bed.ovsdb_socket(),
          .state_dir = std::move(state_dir),
          .extra_args = std::move(extra_args),
          .netns = bed.netns()};
}

std::unique_ptr<AgentProcess> StartAgentOrFail(AgentOptions options) {
  auto agent = std::make_unique<AgentProcess>(std::move(options));
  if (!agent->Start()) {
    ADD_FAILURE() << "hvagentd did not start:\n" << agent->log();
    return nullptr;
  }
  return agent;
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

grpc::Status CallWithBytes(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                           const std::string& request_bytes, int seconds,
                           std::string* response_bytes) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto ctx = Ctx(seconds);
  std::promise<grpc::Status> done;
  stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (response_bytes != nullptr && status.ok() && response.Dump(&slices).ok()) {
    response_bytes->clear();
    for (const grpc::Slice& s : slices) {
      response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

AgentProcess::AgentProcess(AgentOptions options) : options_(std::move(options)) {
  std::string templ = "/tmp/hvagent.XXXXXX";
  dir_ = mkdtemp(templ.data()) != nullptr ? templ : "/tmp";
  socket_ = dir_ + "/agent.sock";
  if (options_.state_dir.empty()) {
    options_.state_dir = dir_ + "/state";
    own_state_dir_ = true;
  }
}

AgentProcess::~AgentProcess() {
  process_.reset();  // SIGKILL if still running
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool AgentProcess::Start() {
  std::vector<std::string> argv{
      options_.program.empty() ? BuildDir() + "/src/daemon/hvagentd" : options_.program,
      "--config",
      dir_ + "/none.toml",
      "--unix-socket",
      socket_,
      "--libvirt-uri",
      options_.libvirt_uri,
      "--ovsdb",
      options_.ovsdb_endpoint,
      "--state-dir",
      options_.state_dir};
  auto named = [this](const std::string& flag) {
    return std::find(options_.extra_args.begin(), options_.extra_args.end(), flag) !=
           options_.extra_args.end();
  };
  // Every RPC logged (debug, AgentOptions::log_level), unless the test names
  // the level in its arguments (a bench runs the daemon's default, as hosts do).
  if (!named("--log-level")) argv.insert(argv.end(), {"--log-level", options_.log_level});
  // A free port unless the test names one: agents of tests that run side by
  // side (and make run's forwarder of 127.0.0.1:9464) must not collide.
  if (!named("--metrics-listen")) {
    argv.insert(argv.end(), {"--metrics-listen", "127.0.0.1:0"});
  }
  // The test guest's kernel and initrd are files requests name: they are
  // allowed beside the agent's own images, unless the test names the roots.
  if (!named("--image-roots")) {
    argv.insert(argv.end(),
                {"--image-roots", options_.state_dir + "/disks," + BuildDir() + "/test-guest"});
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (!options_.netns.empty()) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", options_.netns});
  }
  if (!std::filesystem::exists(dir_ + "/none.toml")) {
    std::ofstream(dir_ + "/none.toml").close();
  }
  process_ = std::make_unique<BackgroundProcess>(argv, dir_ + "/agent.log");
  // Up to 30 s: the domain-type probe runs before the agent serves (up to
  // its 3 s deadline where KVM cannot run guests), and sanitizer builds are slow.
  for (int i = 0; i < 1200; ++i) {
    if (!process_->Running()) return false;
    if (log().find("serving on") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

int AgentProcess::ExitCode() {
  if (!process_) return -1;
  return process_->Wait(std::chrono::seconds(30));
}

int AgentProcess::Stop() {
  if (!process_) return -1;
  process_->Signal(SIGTERM);
  return process_->Wait(std::chrono::seconds(30));
}

void AgentProcess::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

int AgentProcess::pid() const { return process_ ? process_->pid() : -1; }

std::string AgentProcess::log() const { return ReadFile(dir_ + "/agent.log"); }

std::shared_ptr<grpc::Channel> AgentProcess::Channel() const {
  return grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
}

}  // namespace hvagent::testing
