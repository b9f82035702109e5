// hvagentd's configuration: defaults, then the TOML file, then command-line
// flags, each layer overriding the one before.
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::daemon {

struct Config {
  // gRPC on a unix socket (mode 0600): the local endpoint hvctl uses.
  std::string unix_socket = "/run/hvagent/hvagent.sock";
  // Optional gRPC over TCP, e.g. "0.0.0.0:7443"; mutual TLS is then required:
  // the server's certificate and key, and the CA that signs client certificates.
  std::string tcp_listen;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Client-certificate identities (subject CN or a subject alternative name)
  // that get the read-only role on the TCP endpoint: every change is
  // PERMISSION_DENIED for them (api::AccessPolicy).
  std::vector<std::string> read_only_identities;
  std::string log_level = "info";
  std::string libvirt_uri = "qemu:///system";
  std::string ovsdb_endpoint = "unix:/run/openvswitch/db.sock";
  // The datapath of the bridges the agent creates (br0 at start, CreateBridge
  // without one): "system" (the kernel module, a real host) or "netdev" (the
  // userspace datapath, e.g. the testbed).
  std::string datapath_type = "system";
  std::string state_dir = "/var/lib/hvagent";
  // The domain type of guests: "auto" (KVM only when a 64-bit probe guest
  // runs under it at start, else qemu), "kvm" (refuse to start without
  // working KVM) or "qemu" (TCG, no probe).
  std::string domain_type = "auto";
  // Directories the files a request names (kernels, initrds, disk images,
  // ISOs) may come from; empty: <state_dir>/disks alone, where the agent's
  // own images live. Block devices come from /dev. See docs/reliability.md.
  std::vector<std::string> image_roots;
  // Seconds in-flight calls get to finish on SIGTERM.
  int shutdown_grace_seconds = 10;
  // Threads for blocking backend calls, and how many calls may wait for one.
  int workers = 8;
  int max_queued_calls = 1024;
  // Threads for port changes (internal ports, tunnels) apart: each mostly
  // waits for ovs-vswitchd to apply it, and the more wait together, the more
  // the OVSDB client coalesces into one transaction (one reconfiguration).
  int port_workers = 32;
  // Events kept for EventService.Watch clients that reconnect or lag.
  int event_ring_capacity = 4096;
  // Networks per host.
  int max_networks = 4096;
  // virbr0, the Linux bridge between the CVM and the host: made at start when
  // set (e.g. "virbr0"; empty: none), the host taking an address in
  // internal_cidr (the subnet: its first address; or the host's address/len).
  std::string internal_bridge;
  std::string internal_cidr = "192.168.5.0/24";
  // Prometheus endpoint (plain HTTP GET /metrics), HOST:PORT; empty disables
  // it; port 0 picks a free one. 9464 is the port OpenTelemetry's Prometheus
  // exporters use. Loopback only unless metrics_allow_remote: the endpoint has
  // no authentication.
  std::string metrics_listen = "127.0.0.1:9464";
  bool metrics_allow_remote = false;
};

inline constexpr const char* kDefaultConfigPath = "/etc/hvagent/hvagent.toml";

// Parses TOML text over `base`. Unknown keys, wrong types and bad values are
// INVALID_ARGUMENT naming the key; `origin` names the file in messages. Rules
// between keys wait for ValidateConfig: a later layer may complete them.
StatusOr<Config> ParseConfigToml(std::string_view toml, std::string_view origin, Config base = {});

// Reads `path`; a missing file is fine only when `required` is false.
StatusOr<Config> LoadConfigFile(const std::string& path, bool required, Config base = {});

// Checks each value on its own (ParseConfigToml does, for every layer).
Status ValidateValues(const Config& config);

// ValidateValues plus the rules between keys (api.tcp_listen needs the TLS
// files), for the final configuration once every layer is applied.
Status ValidateConfig(const Config& config);

}  // namespace hvagent::daemon
