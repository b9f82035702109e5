// hvagentd's command line: flags over the TOML file, then the daemon.
#include "hvagent/daemon/hvagentd_main.h"

#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "hvagent/common/logging.h"
#include "hvagent/common/version.h"
#include "hvagent/daemon/config.h"
#include "hvagent/daemon/daemon.h"
#include "hvagent/daemon/malloc_tuning.h"
#include "spdlog/spdlog.h"

namespace {

// Every config key has a flag; flags override the file.
struct Flag {
  const char* flag;
  const char* section;
  const char* key;
  bool integer;
  const char* help;
  bool boolean = false;  // takes true or false
  bool list = false;     // comma-separated, a TOML array of strings
};

constexpr Flag kFlags[] = {
    {"--unix-socket", "api", "unix_socket", false, "local gRPC endpoint (unix socket path)"},
    {"--tcp-listen", "api", "tcp_listen", false, "HOST:PORT for gRPC over mutual TLS"},
    {"--tls-cert", "api", "tls_cert", false, "server certificate (PEM) for --tcp-listen"},
    {"--tls-key", "api", "tls_key", false, "server private key (PEM)"},
    {"--tls-client-ca", "api", "tls_client_ca", false, "CA (PEM) that signs client certificates"},
    {"--read-only-identities", "api", "read_only_identities", false,
     "comma-separated client certificate CNs/SANs that may only read", false, true},
    {"--log-level", "log", "level", false, "trace|debug|info|warn|error|critical|off"},
    {"--libvirt-uri", "libvirt", "uri", false, "libvirt connection URI"},
    {"--ovsdb", "ovsdb", "endpoint", false, "ovsdb-server endpoint (unix:PATH or tcp:HOST:PORT)"},
    {"--internal-bridge", "network", "internal_bridge", false,
     "Linux bridge between the CVM and the host, made at start (e.g. virbr0; empty: none)"},
    {"--internal-cidr", "network", "internal_cidr", false,
     "its subnet (host takes the first address) or host address, e.g. 192.168.5.0/24"},
    {"--datapath-type", "ovs", "datapath_type", false,
     "datapath of bridges the agent creates: system or netdev"},
    {"--state-dir", "agent", "state_dir", false, "directory of the agent's local store"},
    {"--shutdown-grace-seconds", "agent", "shutdown_grace_seconds", true,
     "seconds in-flight calls get on SIGTERM"},
    {"--workers", "agent", "workers", true, "threads for blocking backend calls"},
    {"--port-workers", "agent", "port_workers", true,
     "threads for port changes (internal ports, tunnels), coalesced into OVSDB transactions"},
    {"--max-queued-calls", "agent", "max_queued_calls", true, "calls that may wait for a worker"},
    {"--event-ring-capacity", "agent", "event_ring_capacity", true,
     "events kept for Watch clients that reconnect or lag"},
    {"--max-networks", "limits", "max_networks", true, "networks per host"},
    {"--domain-type", "compute", "domain_type", false,
     "auto (KVM when a 64-bit probe guest runs under it), kvm (require it) or qemu (TCG)"},
    {"--image-roots", "compute", "image_roots", false,
     "comma-separated directories request files (kernels, images, ISOs) may come from "
     "(default: STATE_DIR/disks)",
     false, true},
    {"--metrics-listen", "metrics", "listen", false,
     "HOST:PORT of the Prometheus endpoint (loopback unless allowed; empty disables)"},
    {"--metrics-allow-remote", "metrics", "allow_remote", false,
     "true to let --metrics-listen be a non-loopback address", true},
};

}  // namespace

namespace hvagent::daemon {

int HvagentdMain(int argc, char** argv, const PciAccess& pci) {
  hvagent::daemon::ConfigureMalloc();  // before any thread: arenas are made per thread
  hvagent::daemon::BlockShutdownSignals();

  CLI::App app{"hvagentd: per-host hypervisor agent (libvirt + Open vSwitch behind gRPC)"};
  app.set_version_flag("--version", std::string(hvagent::kAgentVersion));
  std::string config_path = hvagent::daemon::kDefaultConfigPath;
  auto* config_opt = app.add_option("-c,--config", config_path, "TOML configuration file");
  std::vector<std::optional<std::string>> values(std::size(kFlags));
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    app.add_option(kFlags[i].flag, values[i],
                   fmt::format("{}.{}: {}", kFlags[i].section, kFlags[i].key, kFlags[i].help));
  }
  CLI11_PARSE(app, argc, argv);

  // The default file may be absent; one named on the command line must exist.
  auto config = hvagent::daemon::LoadConfigFile(config_path, config_opt->count() > 0);
  if (!config.ok()) {
    std::cerr << "hvagentd: " << config.status().message() << "\n";
    return 2;
  }
  // Flags become one more TOML layer, so they get the same checks as the file.
  toml::table overrides;
  for (size_t i = 0; i < std::size(kFlags); ++i) {
    if (!values[i].has_value()) continue;
    const Flag& f = kFlags[i];
    if (!overrides.contains(f.section)) overrides.insert(f.section, toml::table{});
    auto* section = overrides[f.section].as_table();
    if (f.boolean) {
      if (*values[i] != "true" && *values[i] != "false") {
        std::cerr << "hvagentd: " << f.flag << " (" << f.section << "." << f.key
                  << ") must be true or false, not '" << *values[i] << "'\n";
        return 2;
      }
      section->insert(f.key, *values[i] == "true");
    } else if (f.integer) {
      try {
        section->insert(f.key, std::stoll(*values[i]));
      } catch (const std::exception&) {
        std::cerr << "hvagentd: " << f.flag << " (" << f.section << "." << f.key
                  << ") must be an integer, not '" << *values[i] << "'\n";
        return 2;
      }
    } else if (f.list) {
      toml::array items;
      std::istringstream parts(*values[i]);
      for (std::string item; std::getline(parts, item, ',');) items.push_back(item);
      section->insert(f.key, std::move(items));
    } else {
      section->insert(f.key, *values[i]);
    }
  }
  std::ostringstream overrides_toml;
  overrides_toml << overrides;
  config = hvagent::daemon::ParseConfigToml(overrides_toml.str(), "command line", *config);
  if (!config.ok()) {
    std::cerr << "hvagentd: " << config.status().message() << "\n";
    return 2;
  }
  if (auto valid = hvagent::daemon::ValidateConfig(*config); !valid.ok()) {
    std::cerr << "hvagentd: " << valid.message() << "\n";
    return 2;
  }

  hvagent::ConfigureLogging(*hvagent::ParseLogLevel(config->log_level));
  std::error_code ec;
  const bool config_exists = std::filesystem::exists(config_path, ec);
  hvagent::daemon::Daemon daemon(*config, config_exists ? config_path : "", pci);
  if (auto status = daemon.Run(); !status.ok()) {
    spdlog::critical("{}", status.ToString());
    // 2: the configuration or the host refuses to start; 1: anything else.
    const bool config_problem = status.code() == absl::StatusCode::kInvalidArgument ||
                                status.code() == absl::StatusCode::kFailedPrecondition;
    return config_problem ? 2 : 1;
  }
  return 0;
}

}  // namespace hvagent::daemon
