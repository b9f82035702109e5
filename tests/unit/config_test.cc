#include "hvagent/daemon/config.h"

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
        BadConfig{"[agent]\nshutdown_grace_seconds = -1\n",
                  "'agent.shutdown_grace_seconds' must be an integer from 0 to 3600"},
        BadConfig{"[log\nlevel = 1\n", "bad.toml:1:"}));

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
