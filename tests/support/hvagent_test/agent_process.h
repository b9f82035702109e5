// hvagentd started as a process for a test, on its own socket and state
// directory, killed when the object goes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "hvagent_test/subprocess.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {

struct AgentOptions {
  std::string libvirt_uri = "test:///default";
  std::string ovsdb_endpoint;  // required
  // Kept across restarts of the same AgentProcess: the local store lives here.
  std::string state_dir;  // empty: a fresh temp directory
  std::vector<std::string> extra_args;
  // The daemon's program: empty for hvagentd; a test's build of it (its
  // path) otherwise.
  std::string program;
  // Run inside this network namespace (the testbed's): the taps the agent
  // makes must be where OVS and QEMU are.
  std::string netns;
  // hvagentd's --log-level: the tests read its debug lines; a benchmark
  // runs it as a host does.
  std::string log_level = "debug";
};

// An agent on `bed`: its libvirtd and ovsdb-server, and inside its network
// namespace, where OVS and QEMU see the taps, NICs and bridges it makes.
AgentOptions AgentOnTestbed(const Testbed& bed, std::vector<std::string> extra_args = {},
                            std::string state_dir = "");

// A client context whose call gives up after `seconds`.
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30);

// `method` ("/pkg.Service/Method") called with `request_bytes` as its
// serialized request, whatever they are, through gRPC's generic stub; the
// serialized response goes to `response_bytes` when given.
grpc::Status CallWithBytes(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                           const std::string& request_bytes, int seconds,
                           std::string* response_bytes = nullptr);

// A unary call through a generated stub for a test that wants only its
// status: the response is dropped.
template <typename Stub, typename Request, typename Response>
grpc::Status CallStatus(Stub& stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request) {
  Response response;
  return (stub.*method)(Ctx().get(), request, &response);
}

// A request naming the object it is about (Get…, Delete… and the like).
template <typename Request>
Request Named(const std::string& name) {
  Request request;
  request.set_name(name);
  return request;
}

class AgentProcess {
 public:
  explicit AgentProcess(AgentOptions options);
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Starts hvagentd and waits for its socket; false (see log()) if it exits.
  bool Start();
  // SIGTERM and wait; returns the exit code.
  int Stop();
  // Waits for an agent that exits by itself (a refused start); its exit code.
  int ExitCode();
  // SIGKILL, as a crash.
  void Kill();

  const std::string& socket() const { return socket_; }
  // hvagentd's process id (`ip netns exec` execs it in place); -1 before Start.
  int pid() const;
  const std::string& state_dir() const { return options_.state_dir; }
  std::string log() const;
  std::shared_ptr<grpc::Channel> Channel() const;

 private:
  AgentOptions options_;
  std::string dir_;
  std::string socket_;
  bool own_state_dir_ = false;
  std::unique_ptr<BackgroundProcess> process_;
};

// The agent, started; or null, after failing the current test with its log.
std::unique_ptr<AgentProcess> StartAgentOrFail(AgentOptions options);

}  // namespace hvagent::testing
