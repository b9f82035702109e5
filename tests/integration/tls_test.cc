// hvagentd's TCP endpoint: mutual TLS only, with certificates made here by the
// openssl CLI. A client is served only with a certificate from the client CA;
// the unix socket keeps working without TLS beside it.
#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hvagent/v1/events.grpc.pb.h"
#include "hvagent/v1/host.grpc.pb.h"
#include "hvagent/v1/network.grpc.pb.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "hvagent_test/agent_process.h"
#include "hvagent_test/net_util.h"
#include "hvagent_test/ovsdb_server.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/temp_dir.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/test_pki.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

constexpr auto kDeadline = std::chrono::seconds(5);

struct KeyPair {
  std::string cert;  // PEM
  std::string key;   // PEM
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = std::make_unique<TestPki>(dir_ + "/pki");
    ovsdb_ = StartOrFail<OvsdbServer>();
    ASSERT_NE(ovsdb_, nullptr);

    ASSERT_TRUE(pki_->MakeCa("ca", "hvagent test client CA"));
    ASSERT_TRUE(pki_->MakeCert("server", "localhost", "ca", TestPki::Kind::kServer));
    ASSERT_TRUE(pki_->MakeCert("client", "hvagent test controller", "ca", TestPki::Kind::kClient));
    // The read-only role's client: its CN is in --read-only-identities.
    ASSERT_TRUE(pki_->MakeCert("monitor", "monitoring", "ca", TestPki::Kind::kClient));
    ASSERT_TRUE(pki_->MakeCa("other-ca", "some other CA"));
    ASSERT_TRUE(pki_->MakeCert("other-client", "hvagent test controller", "other-ca",
                               TestPki::Kind::kClient));
  }

  std::string Path(const std::string& name) const { return pki_->Path(name); }
  KeyPair Pair(const std::string& name) const {
    return {ReadFile(Path(name + ".pem")), ReadFile(Path(name + ".key"))};
  }

  std::vector<std::string> TlsArgs(int port) const {
    return {"--tcp-listen",    "127.0.0.1:" + std::to_string(port),
            "--tls-cert",      Path("server.pem"),
            "--tls-key",       Path("server.key"),
            "--tls-client-ca", Path("ca.pem")};
  }

  // Starts the agent with the TCP endpoint on a free port. Another process
  // may take the port between FreePort and the agent's bind: then try again.
  void StartAgent(const std::vector<std::string>& extra_args = {}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = FreePort();
      ASSERT_NE(port_, 0);
      std::vector<std::string> args = TlsArgs(port_);
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      agent_ = std::make_unique<AgentProcess>(
          AgentOptions{.ovsdb_endpoint = ovsdb_->endpoint(), .extra_args = std::move(args)});
      if (agent_->Start()) return;
      if (agent_->log().find("cannot listen") == std::string::npos) break;
    }
    FAIL() << "hvagentd did not start:\n" << agent_->log();
  }

  std::shared_ptr<grpc::Channel> TcpChannel(const std::shared_ptr<grpc::ChannelCredentials>& creds,
                                            const std::string& host = "127.0.0.1") const {
    // A channel of its own per client: no subchannel (and so no TLS session)
    // is shared between clients with different credentials.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(host + ":" + std::to_string(port_), creds, args);
  }

  static std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& root_ca,
                                                       const KeyPair* client) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = root_ca;
    if (client != nullptr) {
      options.pem_private_key = client->key;
      options.pem_cert_chain = client->cert;
    }
    return grpc::SslCredentials(options);
  }

  static grpc::Status GetHost(const std::shared_ptr<grpc::Channel>& channel, v1::Host* host) {
    auto stub = v1::HostService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kDeadline);
    return stub->GetHost(&ctx, {}, host);
  }

  // The agent's log lines for GetHost calls that reached the service (the
  // logging interceptor writes one per call, with the peer).
  std::vector<std::string> GetHostCallsLogged() const {
    std::vector<std::string> lines;
    std::istringstream log(agent_->log());
    for (std::string line; std::getline(log, line);) {
      if (line.find("rpc /hvagent.v1.HostService/GetHost") != std::string::npos) {
        lines.push_back(line);
      }
    }
    return lines;
  }

  // A refused client: its call fails and never reaches the service, while a
  // call on the unix socket right after it is served.
  void ExpectRefused(const std::shared_ptr<grpc::ChannelCredentials>& creds) {
    v1::Host host;
    const grpc::Status status = GetHost(TcpChannel(creds), &host);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    EXPECT_TRUE(host.hostname().empty());

    v1::Host local;
    const grpc::Status unix_status = GetHost(agent_->Channel(), &local);
    ASSERT_TRUE(unix_status.ok()) << unix_status.error_message();
    // Only the unix call reached the service: the interceptor logs it before
    // the client gets its answer, so it is in the log by now.
    const std::vector<std::string> calls = GetHostCallsLogged();
    ASSERT_EQ(calls.size(), 1u) << agent_->log();
    EXPECT_NE(calls[0].find("peer=unix:"), std::string::npos) << calls[0];
  }

  // Declared first, so removed after the agent and ovsdb-server that use it.
  const TempDir tmp_{"hvtls"};
  const std::string dir_ = tmp_.string();
  std::unique_ptr<TestPki> pki_;
  int port_ = 0;
  std::unique_ptr<OvsdbServer> ovsdb_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(TlsTest, ClientWithACertificateFromTheClientCaIsServedOverTcp) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const KeyPair client = Pair("client");
  v1::Host host;
  const grpc::Status status = GetHost(TcpChannel(Tls(Pair("ca").cert, &client)), &host);
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << agent_->log();
  EXPECT_FALSE(host.hostname().empty());
  EXPECT_FALSE(host.agent_version().empty());
  EXPECT_EQ(host.libvirt().state(), v1::BACKEND_STATE_CONNECTED);

  // The server certificate names localhost too (DNS subjectAltName).
  v1::Host by_name;
  const grpc::Status named =
      GetHost(TcpChannel(Tls(Pair("ca").cert, &client), "localhost"), &by_name);
  EXPECT_TRUE(named.ok()) << named.error_message();
  EXPECT_EQ(by_name.hostname(), host.hostname());

  // The unix socket serves at the same time, without TLS.
  v1::Host local;
  const grpc::Status unix_status = GetHost(agent_->Channel(), &local);
  ASSERT_TRUE(unix_status.ok()) << unix_status.error_message();
  EXPECT_EQ(local.hostname(), host.hostname());

  // The interceptor saw the TCP calls with their TCP peers.
  const std::vector<std::string> calls = GetHostCallsLogged();
  ASSERT_EQ(calls.size(), 3u) << agent_->log();
  EXPECT_NE(calls[0].find("peer=ipv4:127.0.0.1:"), std::string::npos) << calls[0];
  EXPECT_NE(calls[2].find("peer=unix:"), std::string::npos) << calls[2];
}

// "/hvagent.v1.VmService/CreateVm" for every method of every hvagent service,
// with whether its name says it only reads.
std::vector<std::pair<std::string, bool>> EveryMethod() {
  std::vector<std::pair<std::string, bool>> methods;
  // Each service's proto file, by a message defined in it.
  for (const google::protobuf::FileDescriptor* file :
       {v1::Vm::descriptor()->file(), v1::Network::descriptor()->file(),
        v1::Host::descriptor()->file(), v1::Event::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const std::string name = service->method(m)->name();
        const bool read = name.rfind("Get", 0) == 0 || name.rfind("List", 0) == 0 ||
                          name.rfind("Watch", 0) == 0 || name.rfind("Compute", 0) == 0;
        methods.emplace_back("/" + service->full_name() + "/" + name, read);
      }
    }
  }
  return methods;
}

// The method called with an empty request (valid bytes: every field unset).
grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
  return CallWithBytes(channel, method, "", 10);
}

TEST_F(TlsTest, ReadOnlyClientReadsButEveryChangeIsPermissionDenied) {
  ASSERT_NO_FATAL_FAILURE(StartAgent({"--read-only-identities", "monitoring,audit"}));
  const KeyPair monitor = Pair("monitor");
  const KeyPair controller = Pair("client");
  const auto read_only = TcpChannel(Tls(Pair("ca").cert, &monitor));
  const auto admin = TcpChannel(Tls(Pair("ca").cert, &controller));

  v1::Host host;
  ASSERT_TRUE(GetHost(read_only, &host).ok()) << agent_->log();
  int denied = 0;
  for (const auto& [method, read] : EveryMethod()) {
    if (read) continue;
    const grpc::Status status = CallEmpty(read_only, method);
    // Who asks is checked before what is asked: even an empty request is
    // denied, not found invalid. UNIMPLEMENTED methods change nothing.
    EXPECT_TRUE(status.error_code() == grpc::PERMISSION_DENIED ||
                status.error_code() == grpc::UNIMPLEMENTED)
        << method << ": " << status.error_code() << " " << status.error_message();
    if (status.error_code() == grpc::PERMISSION_DENIED) {
      ++denied;
      EXPECT_EQ(status.error_message(),
                method + ": client 'monitoring' has the read-only role (api.read_only_identities)");
    }
    // The controller's certificate and the unix socket get past the role
    // check to the request's own validation.
    EXPECT_NE(CallEmpty(admin, method).error_code(), grpc::PERMISSION_DENIED) << method;
    EXPECT_NE(CallEmpty(agent_->Channel(), method).error_code(), grpc::PERMISSION_DENIED) << method;
  }
  EXPECT_GE(denied, 20) << "every implemented change goes through the role check";
}

TEST_F(TlsTest, ClientWithoutACertificateIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ExpectRefused(Tls(Pair("ca").cert, nullptr));
}

TEST_F(TlsTest, ClientWithACertificateFromAnotherCaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const KeyPair other = Pair("other-client");
  // The client trusts the server; the server does not trust the client.
  ExpectRefused(Tls(Pair("ca").cert, &other));
}

TEST_F(TlsTest, PlaintextClientIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ExpectRefused(grpc::InsecureChannelCredentials());
}

TEST_F(TlsTest, ClientThatDoesNotTrustTheServerCertificateGetsNoAnswer) {
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  const KeyPair client = Pair("client");
  // A valid client certificate, but the client checks the server against the
  // other CA, which did not sign it.
  ExpectRefused(Tls(Pair("other-ca").cert, &client));
}

TEST_F(TlsTest, TcpWithoutAClientCaIsAConfigError) {
  std::ofstream(Path("none.toml")).close();
  const int port = FreePort();
  const ProcessResult r = RunProcess(
      {BuildDir() + "/src/daemon/hvagentd", "--config", Path("none.toml"), "--unix-socket",
       Path("agent.sock"), "--libvirt-uri", "test:///default", "--ovsdb", ovsdb_->endpoint(),
       "--state-dir", Path("state"), "--tcp-listen", "127.0.0.1:" + std::to_string(port),
       "--tls-cert", Path("server.pem"), "--tls-key", Path("server.key")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("api.tls_client_ca"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("agent.sock")));
  EXPECT_FALSE(std::filesystem::exists(Path("state")));
}

TEST_F(TlsTest, UnreadableServerCertificateIsAStartupError) {
  std::ofstream(Path("none.toml")).close();
  const int port = FreePort();
  const ProcessResult r =
      RunProcess({BuildDir() + "/src/daemon/hvagentd", "--config", Path("none.toml"),
                  "--unix-socket", Path("agent.sock"), "--libvirt-uri", "test:///default",
                  "--ovsdb", ovsdb_->endpoint(), "--state-dir", Path("state"), "--tcp-listen",
                  "127.0.0.1:" + std::to_string(port), "--tls-cert", Path("missing/server.pem"),
                  "--tls-key", Path("server.key"), "--tls-client-ca", Path("ca.pem")});
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.err.find("api.tls_cert"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(Path("agent.sock")));
}

}  // namespace
}  // namespace hvagent::testing
