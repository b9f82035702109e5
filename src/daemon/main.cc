// hvagentd: the per-host hypervisor agent daemon.
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "hvagent/common/logging.h"
#include "hvagent/common/version.h"
#include "hvagent/daemon/config.h"
#include "hvagent/daemon/daemon.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  hvagent::daemon::BlockShutdownSignals();

  CLI::App app{"hvagentd: per-host hypervisor agent (libvirt + Open vSwitch behind gRPC)"};
  app.set_version_flag("--version", std::string(hvagent::kAgentVersion));
  std::string config_path = hvagent::daemon::kDefaultConfigPath;
  auto* config_opt = app.add_option("-c,--config", config_path, "TOML configuration file");
  // Flags override the file; they are applied after it is read.
  std::string unix_socket, log_level, libvirt_uri, ovsdb_endpoint, state_dir;
  app.add_option("--unix-socket", unix_socket, "api.unix_socket: local gRPC endpoint");
  app.add_option("--log-level", log_level, "log.level: trace|debug|info|warn|error|critical|off");
  app.add_option("--libvirt-uri", libvirt_uri, "libvirt.uri, e.g. qemu:///system");
  app.add_option("--ovsdb", ovsdb_endpoint, "ovsdb.endpoint, e.g. unix:/run/openvswitch/db.sock");
  app.add_option("--state-dir", state_dir, "agent.state_dir: the agent's local store");
  CLI11_PARSE(app, argc, argv);

  // The default file may be absent; one named on the command line must exist.
  auto config = hvagent::daemon::LoadConfigFile(config_path, config_opt->count() > 0);
  if (!config.ok()) {
    std::cerr << "hvagentd: " << config.status().message() << "\n";
    return 2;
  }
  if (!unix_socket.empty()) config->unix_socket = unix_socket;
  if (!log_level.empty()) config->log_level = log_level;
  if (!libvirt_uri.empty()) config->libvirt_uri = libvirt_uri;
  if (!ovsdb_endpoint.empty()) config->ovsdb_endpoint = ovsdb_endpoint;
  if (!state_dir.empty()) config->state_dir = state_dir;
  if (auto valid = hvagent::daemon::ValidateConfig(*config); !valid.ok()) {
    std::cerr << "hvagentd: " << valid.message() << "\n";
    return 2;
  }

  hvagent::ConfigureLogging(*hvagent::ParseLogLevel(config->log_level));
  std::error_code ec;
  const bool config_exists = std::filesystem::exists(config_path, ec);
  hvagent::daemon::Daemon daemon(*config, config_exists ? config_path : "");
  if (auto status = daemon.Run(); !status.ok()) {
    spdlog::critical("{}", status.ToString());
    return 1;
  }
  return 0;
}
