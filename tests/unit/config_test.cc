#include "hvagent/daemon/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hvagent::daemon {
namespace {

TEST(ConfigTest, EmptyFileKeepsDefaults) {
  auto config = ParseConfigToml("", "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->unix_socket, "/run/hvagent/hvagent.sock");
  EXPECT_EQ(config->libvirt_uri, "qemu:///system");
  EXPECT_EQ(config->ovsdb_endpoint, "unix:/run/openvswitch/db.sock");
  EXPECT_EQ(config->log_level, "info");
  EXPECT_EQ(config->datapath_type, "system");
}

TEST(ConfigTest, EveryKeyIsRead) {
  auto config = ParseConfigToml(R"(
[api]
unix_socket = "/tmp/a.sock"
[log]
level = "debug"
[libvirt]
uri = "test:///default"
[ovsdb]
endpoint = "tcp:127.0.0.1:6640"
[ovs]
datapath_type = "netdev"
[agent]
state_dir = "/tmp/state"
shutdown_grace_seconds = 3
)",
                                "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->unix_socket, "/tmp/a.sock");
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->libvirt_uri, "test:///default");
  EXPECT_EQ(config->ovsdb_endpoint, "tcp:127.0.0.1:6640");
  EXPECT_EQ(config->datapath_type, "netdev");
  EXPECT_EQ(config->state_dir, "/tmp/state");
  EXPECT_EQ(config->shutdown_grace_seconds, 3);
}

struct BadConfig {
  const char* toml;
  const char* expected_in_message;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, IsInvalidArgumentNamingTheKey) {
  auto config = ParseConfigToml(GetParam().toml, "bad.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(GetParam().expected_in_message), std::string::npos)
      << config.status();
  EXPECT_NE(config.status().message().find("bad.toml"), std::string::npos) << config.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfigTest,
    ::testing::Values(
        BadConfig{"[bogus]\nx = 1\n", "unknown config key 'bogus'"},
        BadConfig{"[log]\nlevl = \"info\"\n", "unknown config key 'log.levl'"},
        BadConfig{"log = 3\n", "config key 'log' must be a table"},
        BadConfig{"[log]\nlevel = 3\n", "'log.level' must be a string"},
        BadConfig{"[log]\nlevel = \"loud\"\n", "log.level 'loud'"},
        BadConfig{"[api]\nunix_socket = \"relative.sock\"\n", "must be an absolute path"},
        BadConfig{"[ovsdb]\nendpoint = \"/run/db.sock\"\n", "must start with unix: or tcp:"},
        BadConfig{"[ovs]\ndatapath_type = \"dpdk\"\n", "ovs.datapath_type 'dpdk' must be"},
        BadConfig{"[agent]\nshutdown_grace_seconds = -1\n",
                  "'agent.shutdown_grace_seconds' must be an integer from 0 to 3600"},
        BadConfig{"[compute]\nimage_roots = \"/srv\"\n",
                  "'compute.image_roots' must be an array of strings"},
        BadConfig{"[compute]\nimage_roots = [\"/\"]\n",
                  "compute.image_roots: '/' confines nothing"},
        BadConfig{"[compute]\nimage_roots = [\"/srv/../etc\"]\n",
                  "compute.image_roots: '/srv/../etc' must be a normalised absolute directory"},
        BadConfig{"[compute]\nimage_roots = [\"/proc/self\"]\n", "is under /proc"},
        BadConfig{"[log\nlevel = 1\n", "bad.toml:1:"}));

TEST(ConfigTest, ImageRootsAreReadAndDefaultToNone) {
  EXPECT_THAT(Config{}.image_roots, ::testing::IsEmpty());  // the agent's STATE_DIR/disks
  auto config = ParseConfigToml("[compute]\nimage_roots = [\"/srv/images\", \"/srv/iso\"]\n", "t");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->image_roots, ::testing::ElementsAre("/srv/images", "/srv/iso"));
}

TEST(ConfigTest, SocketPathLongerThanSunPathIsRefused) {
  Config config;
  config.unix_socket = "/" + std::string(120, 'a');
  const Status status = ValidateConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("at most 107"), std::string::npos) << status;
}

TEST(ConfigTest, MissingOptionalFileGivesBase) {
  Config base;
  base.log_level = "warn";
  auto config = LoadConfigFile("/nonexistent/hvagent.toml", /*required=*/false, base);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->log_level, "warn");
  auto required = LoadConfigFile("/nonexistent/hvagent.toml", /*required=*/true);
  EXPECT_EQ(required.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hvagent::daemon

// The keys added with the TCP endpoint, the worker pool and the limits.
#include <gmock/gmock.h>

namespace hvagent::daemon {
namespace {

// A config with api.tcp_listen and every TLS file set.
constexpr char kTlsConfig[] = R"(
[api]
tcp_listen = "0.0.0.0:7443"
tls_cert = "/etc/hvagent/server.pem"
tls_key = "/etc/hvagent/server.key"
tls_client_ca = "/etc/hvagent/clients-ca.pem"
)";

TEST(ConfigTest, TcpTlsWorkerAndLimitKeysAreRead) {
  auto config = ParseConfigToml(std::string(kTlsConfig) + R"(
[agent]
workers = 3
port_workers = 5
max_queued_calls = 77
[limits]
max_networks = 12
)",
                                "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tcp_listen, "0.0.0.0:7443");
  EXPECT_EQ(config->tls_cert, "/etc/hvagent/server.pem");
  EXPECT_EQ(config->tls_key, "/etc/hvagent/server.key");
  EXPECT_EQ(config->tls_client_ca, "/etc/hvagent/clients-ca.pem");
  EXPECT_EQ(config->workers, 3);
  EXPECT_EQ(config->port_workers, 5);
  EXPECT_EQ(config->max_queued_calls, 77);
  EXPECT_EQ(config->max_networks, 12);
}

// A final configuration with api.tcp_listen and every TLS file set.
Config TlsConfig() {
  Config config;
  config.tcp_listen = "0.0.0.0:7443";
  config.tls_cert = "/etc/hvagent/server.pem";
  config.tls_key = "/etc/hvagent/server.key";
  config.tls_client_ca = "/etc/hvagent/clients-ca.pem";
  return config;
}

TEST(ConfigTest, TcpListenWithoutEachTlsFileIsRefused) {
  ASSERT_TRUE(ValidateConfig(TlsConfig()).ok()) << ValidateConfig(TlsConfig());
  for (const auto& [key, field] :
       {std::pair{"api.tls_cert", &Config::tls_cert}, std::pair{"api.tls_key", &Config::tls_key},
        std::pair{"api.tls_client_ca", &Config::tls_client_ca}}) {
    Config config = TlsConfig();
    config.*field = "";
    const Status status = ValidateConfig(config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << key << ": " << status;
    EXPECT_THAT(MessageOf(status), ::testing::HasSubstr(key));
    EXPECT_THAT(MessageOf(status), ::testing::HasSubstr("mutual TLS"));
  }
}

TEST(ConfigTest, ReadOnlyIdentitiesAreReadAndChecked) {
  auto config = ParseConfigToml(
      std::string(kTlsConfig) + "read_only_identities = [\"monitoring\", \"audit\"]\n",
      "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->read_only_identities, (std::vector<std::string>{"monitoring", "audit"}));
  EXPECT_TRUE(ValidateConfig(*config).ok());

  const Status not_strings =
      ParseConfigToml("[api]\nread_only_identities = [\"a\", 2]\n", "test.toml").status();
  EXPECT_EQ(not_strings.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(not_strings), ::testing::HasSubstr("'api.read_only_identities' must be "
                                                           "an array of strings"));
  Config twice = TlsConfig();
  twice.read_only_identities = {"monitoring", "monitoring"};
  EXPECT_THAT(MessageOf(ValidateConfig(twice)), ::testing::HasSubstr("listed twice"));
  Config empty = TlsConfig();
  empty.read_only_identities = {""};
  EXPECT_THAT(MessageOf(ValidateConfig(empty)), ::testing::HasSubstr("is empty"));
  // Roles come from client certificates: without the TCP endpoint there are none.
  Config local;
  local.read_only_identities = {"monitoring"};
  EXPECT_THAT(MessageOf(ValidateConfig(local)),
              ::testing::HasSubstr("api.read_only_identities needs api.tcp_listen"));
}

TEST(ConfigTest, NoTlsFilesNeededWithoutTcpListen) {
  auto config = ParseConfigToml("[api]\ntls_cert = \"/etc/hvagent/server.pem\"\n", "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tcp_listen.empty());
}

class TcpListenWithoutPortTest : public ::testing::TestWithParam<const char*> {};

TEST_P(TcpListenWithoutPortTest, IsRefused) {
  Config config = TlsConfig();
  config.tcp_listen = GetParam();
  const Status status = ValidateConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(MessageOf(status), ::testing::HasSubstr("api.tcp_listen"));
}

// An empty port after the colon, or an IPv6 literal's own colons, are no port
// either.
INSTANTIATE_TEST_SUITE_P(Cases, TcpListenWithoutPortTest,
                         ::testing::Values("0.0.0.0", "localhost", "0.0.0.0:", "[::1]", "[::]"));

TEST(ConfigTest, ZeroWorkersIsRefused) {
  auto config = ParseConfigToml("[agent]\nworkers = 0\n", "test.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << config.status();
  EXPECT_THAT(MessageOf(config.status()), ::testing::HasSubstr("agent.workers"));
}

// metrics.listen: loopback by default and unless allowed, since the endpoint
// has no authentication; empty disables it; port 0 picks a free port.
TEST(ConfigTest, MetricsKeysAreRead) {
  EXPECT_EQ(Config{}.metrics_listen, "127.0.0.1:9464");
  auto config =
      ParseConfigToml("[metrics]\nlisten = \"0.0.0.0:9100\"\nallow_remote = true\n", "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->metrics_listen, "0.0.0.0:9100");
  EXPECT_TRUE(config->metrics_allow_remote);
  EXPECT_TRUE(ValidateConfig(*config).ok());
  auto wrong_type = ParseConfigToml("[metrics]\nallow_remote = \"yes\"\n", "test.toml");
  EXPECT_THAT(MessageOf(wrong_type.status()), ::testing::HasSubstr("metrics.allow_remote"));
}

class MetricsListenTest : public ::testing::TestWithParam<std::tuple<const char*, bool, bool>> {};

TEST_P(MetricsListenTest, LoopbackUnlessAllowed) {
  const auto [listen, allow_remote, valid] = GetParam();
  Config config;
  config.metrics_listen = listen;
  config.metrics_allow_remote = allow_remote;
  const Status status = ValidateConfig(config);
  EXPECT_EQ(status.ok(), valid) << listen << ": " << status;
  if (!valid) {
    EXPECT_THAT(MessageOf(status), ::testing::HasSubstr("metrics.listen"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MetricsListenTest,
    ::testing::Values(std::tuple{"127.0.0.1:9464", false, true},
                      std::tuple{"127.1.2.3:0", false, true}, std::tuple{"[::1]:9464", false, true},
                      std::tuple{"localhost:9464", false, true}, std::tuple{"", false, true},
                      std::tuple{"0.0.0.0:9464", false, false},
                      std::tuple{"10.0.0.5:9464", false, false},
                      std::tuple{"[::]:9464", false, false}, std::tuple{"0.0.0.0:9464", true, true},
                      std::tuple{"[::]:9464", true, true}, std::tuple{"127.0.0.1", false, false},
                      std::tuple{"127.0.0.1:70000", false, false},
                      std::tuple{"::1:9464", false, false}));

}  // namespace
}  // namespace hvagent::daemon
