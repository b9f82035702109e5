#include "hvagent/daemon/daemon.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "hvagent/api/event_service.h"
#include "hvagent/api/host_service.h"
#include "hvagent/api/logging_interceptor.h"
#include "hvagent/api/metrics_interceptor.h"
#include "hvagent/api/network_service.h"
#include "hvagent/api/request_replay.h"
#include "hvagent/api/vm_convert.h"
#include "hvagent/api/vm_service.h"
#include "hvagent/common/logging.h"
#include "hvagent/common/version.h"
#include "hvagent/common/worker_keys.h"
#include "hvagent/common/worker_pool.h"
#include "hvagent/compute/libvirt_hypervisor.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/compute/vm_reconciler.h"
#include "hvagent/daemon/ovs_nic_backend.h"
#include "hvagent/host/backend_monitor.h"
#include "hvagent/host/host_facts.h"
#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/libvirt/event_loop.h"
#include "hvagent/metrics/metrics.h"
#include "hvagent/metrics/metrics_server.h"
#include "hvagent/metrics/ovsdb_client_source.h"
#include "hvagent/metrics/switch_gauges.h"
#include "hvagent/metrics/timed_backend_probe.h"
#include "hvagent/metrics/timed_transactor.h"
#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent/network/internal_port.h"
#include "hvagent/network/linux_bridge.h"
#include "hvagent/network/mirror.h"
#include "hvagent/network/nic_qos.h"
#include "hvagent/network/port_plugger.h"
#include "hvagent/network/tunnel.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent/store/database.h"
#include "hvagent/store/network_store.h"
#include "hvagent/store/request_log.h"
#include "hvagent/v1/vm.grpc.pb.h"
#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {

// Domain lifecycle events from libvirt become VmLifecycleEvents.
void PublishLifecycle(api::EventHub& events, const libvirt::LifecycleEvent& e) {
  if (compute::IsProbeDomainName(e.domain_name)) return;  // the agent's own probe guest
  v1::Event event;
  event.set_kind(v1::EVENT_KIND_VM_LIFECYCLE);
  event.set_object_name(e.domain_name);
  auto* vm = event.mutable_vm_lifecycle();
  vm->set_vm_name(e.domain_name);
  vm->set_vm_uuid(e.domain_uuid);
  vm->set_power_state(api::ToPowerState(e.state));
  vm->set_reason(e.reason);
  events.Publish(std::move(event));
}

// Health per service: what each needs to do its work. The overall ("")
// status is SERVING only while every backend is reachable.
void UpdateHealth(grpc::HealthCheckServiceInterface& health, const host::BackendMonitor& monitor) {
  const bool libvirt = monitor.Status("libvirt").connected;
  const bool ovsdb = monitor.Status("ovsdb").connected;
  health.SetServingStatus(libvirt && ovsdb);
  health.SetServingStatus("hvagent.v1.HostService", true);
  health.SetServingStatus("hvagent.v1.EventService", true);
  health.SetServingStatus("hvagent.v1.VmService", libvirt);
  health.SetServingStatus("hvagent.v1.NetworkService", ovsdb);
}

// hvagent_vms{state}: the agent's VMs by libvirt state, every state present.
metrics::GaugeSource VmStateGauges(compute::VmManager& vms, metrics::LibvirtObserver& observer) {
  return [&vms, &observer]() -> StatusOr<std::vector<metrics::GaugeFamily>> {
    const auto start = std::chrono::steady_clock::now();
    auto list = vms.List(/*include_external=*/false);
    observer.ObserveLibvirtCall("list_domains", std::chrono::steady_clock::now() - start,
                                list.ok());
    HVAGENT_RETURN_IF_ERROR(list.status());
    std::map<std::string, double> by_state;
    for (auto state : {libvirt::DomainState::kNoState, libvirt::DomainState::kRunning,
                       libvirt::DomainState::kBlocked, libvirt::DomainState::kPaused,
                       libvirt::DomainState::kShuttingDown, libvirt::DomainState::kShutOff,
                       libvirt::DomainState::kCrashed, libvirt::DomainState::kSuspended}) {
      by_state[std::string(libvirt::DomainStateName(state))] = 0;
    }
    for (const auto& vm : *list) ++by_state[std::string(libvirt::DomainStateName(vm.state))];
    metrics::GaugeFamily family{
        .name = "hvagent_vms", .help = "The agent's VMs by libvirt state.", .samples = {}};
    for (const auto& [state, count] : by_state) {
      family.samples.push_back({.labels = {{"state", state}}, .value = count});
    }
    return std::vector<metrics::GaugeFamily>{std::move(family)};
  };
}

// hvagent_backend_up{backend}: the monitor's view, as health reports it.
metrics::GaugeSource BackendGauges(const host::BackendMonitor& monitor) {
  return [&monitor]() -> StatusOr<std::vector<metrics::GaugeFamily>> {
    metrics::GaugeFamily family{.name = "hvagent_backend_up",
                                .help = "1 while the agent reaches the backend, else 0.",
                                .samples = {}};
    for (const char* name : {"libvirt", "ovsdb"}) {
      family.samples.push_back(
          {.labels = {{"backend", name}}, .value = monitor.Status(name).connected ? 1.0 : 0.0});
    }
    return std::vector<metrics::GaugeFamily>{std::move(family)};
  };
}

// The daemon's own upkeep on the pool: a full queue costs a logged line, never
// a silent drop (the next trigger tries again).
void SubmitOrLog(WorkerPool& pool, std::string_view key, std::string_view what,
                 std::function<void()> task) {
  if (Status queued = pool.Submit(key, std::move(task)); !queued.ok()) {
    spdlog::warn("{}: not queued: {}", what, queued);
  }
}

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// True when something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

// Makes the socket's directory and removes a stale socket a previous run left;
// refuses to steal the socket of a daemon that still runs.
Status PrepareUnixSocket(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        fmt::format("cannot create the directory of api.unix_socket '{}': {}", path, ec.message()));
  }
  if (std::filesystem::exists(path, ec)) {
    if (SocketIsLive(path)) {
      return absl::AlreadyExistsError(
          fmt::format("another process already serves api.unix_socket '{}'", path));
    }
    std::filesystem::remove(path, ec);
  }
  return absl::OkStatus();
}

// Pings the systemd watchdog at half its interval while the daemon runs.
class WatchdogPinger {
 public:
  WatchdogPinger() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
      return;
    }
    thread_ = std::thread([this, period = std::chrono::microseconds(usec / 2)] {
      while (!stop_.load()) {
        sd_notify(0, "WATCHDOG=1");
        for (auto slept = std::chrono::microseconds(0); slept < period && !stop_.load();
             slept += std::chrono::milliseconds(100)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  }
  ~WatchdogPinger() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  WatchdogPinger(const WatchdogPinger&) = delete;
  WatchdogPinger& operator=(const WatchdogPinger&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A backend that dies mid-write (libvirtd, ovsdb-server) must cost an error
  // value, not the agent: without this SIGPIPE kills the process.
  (void)signal(SIGPIPE, SIG_IGN);
}

void Daemon::Reload() {
  if (config_path_.empty()) {
    spdlog::info("SIGHUP: no config file to reload");
    return;
  }
  auto reloaded = LoadConfigFile(config_path_, /*required=*/true);
  if (!reloaded.ok()) {
    spdlog::error("SIGHUP: keeping the running configuration: {}", reloaded.status().message());
    return;
  }
  // Only the log level changes live; the rest needs a restart.
  config_.log_level = reloaded->log_level;
  SetLogLevel(*ParseLogLevel(config_.log_level));
  spdlog::info("SIGHUP: log level is now {}", config_.log_level);
}

namespace {

StatusOr<std::string> ReadPem(const char* key, const std::string& path) {
  std::error_code ec;
  std::ifstream in(path);
  if (!in || !std::filesystem::is_regular_file(path, ec)) {
    return absl::FailedPreconditionError(fmt::format("{}: cannot read '{}'", key, path));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::FailedPreconditionError(fmt::format("{}: '{}' is not a PEM file", key, path));
  }
  return text.str();
}

// Mutual TLS: the client must present a certificate signed by the CA.
StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(const Config& config) {
  HVAGENT_ASSIGN_OR_RETURN(std::string cert, ReadPem("api.tls_cert", config.tls_cert));
  HVAGENT_ASSIGN_OR_RETURN(std::string key, ReadPem("api.tls_key", config.tls_key));
  HVAGENT_ASSIGN_OR_RETURN(std::string ca, ReadPem("api.tls_client_ca", config.tls_client_ca));
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = std::move(ca);
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

}  // namespace

Status Daemon::Run() {
  HVAGENT_RETURN_IF_ERROR(ValidateConfig(config_));
  std::shared_ptr<grpc::ServerCredentials> tls;
  if (!config_.tcp_listen.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(tls, MutualTlsCredentials(config_));
  }
  // Before anything changes on disk, so that a second agent on the same socket
  // changes nothing.
  HVAGENT_RETURN_IF_ERROR(PrepareUnixSocket(config_.unix_socket));
  HVAGENT_ASSIGN_OR_RETURN(const host::HostFacts facts, host::ReadHostFacts("/"));
  HVAGENT_ASSIGN_OR_RETURN(auto database, store::Database::Open(config_.state_dir + "/hvagent.db"));
  store::NetworkStore networks(*database);
  store::RequestLog request_log(*database);
  // Kept request ids: a day's worth, at most 100k.
  const int64_t day_ago_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (std::chrono::system_clock::now() - std::chrono::hours(24)).time_since_epoch())
          .count();
  if (auto pruned = request_log.Prune(day_ago_ms, 100000); !pruned.ok()) {
    spdlog::warn("cannot prune old request ids: {}", pruned.status());
  }
  api::EventHub events(static_cast<size_t>(config_.event_ring_capacity));
  // Outlives everything that reports to it; its endpoint starts last.
  metrics::Metrics metrics;
  std::mutex health_mu;
  grpc::Server* live_server = nullptr;  // set once serving, under health_mu
  // libvirt's event loop first: the connection's keep-alives and domain
  // events run on it.
  HVAGENT_ASSIGN_OR_RETURN(auto libvirt_events, libvirt::EventLoop::Start());
  libvirt::ConnectionManager libvirt(
      {.uri = config_.libvirt_uri},
      [&events](const libvirt::LifecycleEvent& e) { PublishLifecycle(events, e); });
  // One monitored connection (cache, coalesced writes); a change returns once
  // ovs-vswitchd applied it.
  ovsdb::Client ovsdb_session({.endpoint = config_.ovsdb_endpoint, .wait_for_apply = true});
  // Every OVSDB user goes through the timed decorator (latency, batch sizes).
  metrics::TimedTransactor ovsdb(ovsdb_session, metrics);
  network::OvsdbPortPlugger plugger(ovsdb);
  network::InternalPortManager internal_ports(ovsdb);
  network::TunnelManager tunnels(ovsdb);
  network::MirrorManager mirrors(ovsdb);
  // virbr0 (network.internal_bridge), made at start when configured. A failure
  // is logged, not fatal: VMs and the switch do not depend on it.
  std::optional<network::LinuxBridgeSpec> internal_bridge;
  if (!config_.internal_bridge.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(internal_bridge, network::ParseLinuxBridgeSpec(config_.internal_bridge,
                                                                            "network.internal_cidr",
                                                                            config_.internal_cidr));
    if (Status made = network::LinuxBridge::Ensure(*internal_bridge); !made.ok()) {
      spdlog::error("cannot make the internal bridge {}: {}", internal_bridge->name, made);
    } else {
      spdlog::info("internal bridge {} up, host address {}", internal_bridge->name,
                   internal_bridge->host.ToString());
    }
  }
  network::BridgeManager bridges(ovsdb, config_.datapath_type);
  network::BondManager bonds(ovsdb);
  network::NicQosApplier nic_qos(ovsdb);
  OvsNicBackend nic_backend(plugger, nic_qos);
  StoreNetworkResolver network_resolver(networks);
  const host::ConfigurationMaximums maximums = host::ComputeMaximums(facts, config_.max_networks);
  // The guests' domain type, chosen before the agent serves so that GetHost
  // shows it (and "kvm" that cannot be had stops the start here). With
  // libvirt unreachable now, it is chosen once libvirt is reached.
  HVAGENT_ASSIGN_OR_RETURN(
      const compute::DomainTypeSetting domain_type_setting,
      compute::ParseDomainTypeSetting(config_.domain_type, "compute.domain_type"));
  compute::DomainTypeSelector domain_types(domain_type_setting,
                                           {.work_dir = config_.state_dir + "/probe"});
  if (auto conn = libvirt.Get(); !conn.ok()) {
    spdlog::warn("domain type: not chosen yet, libvirt is unreachable ({})", conn.status());
  } else if (auto chosen = domain_types.Choose(**conn); !chosen.ok()) {
    if (chosen.status().code() == absl::StatusCode::kFailedPrecondition) return chosen.status();
    spdlog::warn("domain type: not chosen yet: {}", chosen.status());
  }
  compute::LibvirtHypervisor hypervisor(libvirt, domain_types);
  compute::VmManager vms({.state_dir = config_.state_dir,
                          .limits = {.max_vcpus = maximums.vcpus_per_vm,
                                     .max_memory_bytes = maximums.memory_bytes_per_vm,
                                     .max_disk_bytes = maximums.disk_bytes,
                                     .max_nics = maximums.nics_per_vm,
                                     .max_disks = maximums.disks_per_vm}},
                         hypervisor, nic_backend, network_resolver);
  // Running VMs get their ports checked each time a backend comes (back) and
  // whenever a Port row goes under the agent.
  compute::VmReconciler reconciler(vms);
  // Declared after what its tasks use, so it finishes them first on the way out.
  WorkerPool pool(static_cast<size_t>(config_.workers),
                  static_cast<size_t>(config_.max_queued_calls));
  // br0 exists by default: made (with its internal port) when missing; an
  // existing br0, whoever made it, is left as it is. Run under the key the
  // bridge RPCs use, so it never races a CreateBridge.
  auto ensure_br0 = [&bridges] {
    auto created = bridges.Ensure(network::kDefaultBridgeName);
    if (!created.ok()) {
      spdlog::warn("cannot make sure of bridge {}: {}", network::kDefaultBridgeName,
                   created.status());
    } else if (*created) {
      spdlog::info("created bridge {} (datapath {})", network::kDefaultBridgeName,
                   bridges.default_datapath_type());
    }
  };
  // And again whenever a Bridge row goes: a deleted br0, or an ovsdb-server
  // back without its database after an outage shorter than a health probe.
  struct ListenerGuard {
    ListenerGuard(ovsdb::Client& c, uint64_t i) : client(c), id(i) {}
    ListenerGuard(const ListenerGuard&) = delete;
    ListenerGuard& operator=(const ListenerGuard&) = delete;
    ~ListenerGuard() { client.RemoveListener(id); }
    ovsdb::Client& client;
    uint64_t id;
  };
  const ListenerGuard bridge_watch{
      ovsdb_session,
      ovsdb_session.AddListener([&pool, &ensure_br0](const std::vector<ovsdb::RowChange>& changes) {
        for (const ovsdb::RowChange& change : changes) {
          if (change.table == "Bridge" && change.kind == ovsdb::RowChange::Kind::kDelete) {
            SubmitOrLog(pool, worker_keys::kSwitch, "making sure of br0", ensure_br0);
            return;
          }
        }
      })};
  // A Port row gone under the agent (deleted by hand, or an ovsdb-server
  // restarted on a fresh database) is put back by a reconcile.
  const ListenerGuard port_watch{
      ovsdb_session,
      ovsdb_session.AddListener([&pool, &reconciler](const std::vector<ovsdb::RowChange>& changes) {
        const bool port_gone = std::any_of(changes.begin(), changes.end(), [](const auto& change) {
          return change.table == "Port" && change.kind == ovsdb::RowChange::Kind::kDelete;
        });
        if (port_gone) reconciler.Request(pool);
      })};
  std::vector<std::unique_ptr<host::BackendProbe>> probes;
  probes.push_back(metrics::TimeLibvirtProbe(host::MakeLibvirtProbe(libvirt), metrics));
  // Health (and the reconcile it triggers) follows the client's own connection,
  // so "ovsdb connected" means the agent's OVSDB calls can run.
  struct OvsdbClientProbe final : host::BackendProbe {
    explicit OvsdbClientProbe(ovsdb::Client& c) : client(c) {}
    std::string name() const override { return "ovsdb"; }
    std::string endpoint() const override { return client.endpoint(); }
    StatusOr<std::string> Probe() override {
      if (!client.WaitConnected(std::chrono::seconds(3))) {
        return absl::UnavailableError(
            fmt::format("ovsdb-server at {} is not connected", client.endpoint()));
      }
      return client.schema_version();
    }
    ovsdb::Client& client;
  };
  probes.push_back(std::make_unique<OvsdbClientProbe>(ovsdb_session));
  host::BackendMonitor monitor(std::move(probes), {}, [&](const host::BackendStatus& status) {
    v1::Event event;
    event.set_kind(v1::EVENT_KIND_BACKEND);
    event.set_object_name(status.name);
    event.mutable_backend()->set_backend(status.name);
    api::BackendToProto(status, event.mutable_backend()->mutable_state());
    events.Publish(std::move(event));
    if (status.connected) reconciler.Request(pool);
    if (status.connected && status.name == "libvirt" && !domain_types.Current()) {
      SubmitOrLog(pool, worker_keys::kDomainType, "choosing the domain type",
                  [&libvirt, &domain_types] {
                    auto conn = libvirt.Get();
                    if (!conn.ok()) return;
                    if (auto chosen = domain_types.Choose(**conn); !chosen.ok()) {
                      spdlog::error("domain type: {}", chosen.status());
                    }
                  });
    }
    if (status.connected && status.name == "ovsdb")
      SubmitOrLog(pool, worker_keys::kSwitch, "making sure of br0", ensure_br0);
    std::lock_guard lock(health_mu);
    if (live_server != nullptr) UpdateHealth(*live_server->GetHealthCheckService(), monitor);
  });
  monitor.Start();

  api::RequestReplay replay(request_log);
  api::HostServiceImpl host_service(monitor, domain_types, facts, maximums);
  api::NetworkServiceImpl network_service(
      pool, replay, events, networks, vms,
      {.bridges = bridges,
       .bonds = bonds,
       .internal_ports = internal_ports,
       .tunnels = tunnels,
       .mirrors = mirrors,
       .internal_bridge = internal_bridge ? &*internal_bridge : nullptr},
      {.max_networks = config_.max_networks});
  api::EventServiceImpl event_service(events);
  api::VmServiceImpl vm_service(pool, replay, vms);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config_.unix_socket, grpc::InsecureServerCredentials());
  int tcp_port = 0;
  if (tls) builder.AddListeningPort(config_.tcp_listen, tls, &tcp_port);
  builder.RegisterService(&host_service);
  builder.RegisterService(&network_service);
  builder.RegisterService(&event_service);
  builder.RegisterService(&vm_service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<api::LoggingInterceptorFactory>());
  interceptors.push_back(std::make_unique<api::MetricsInterceptorFactory>(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server;
  {
    // The socket is created 0600 (owner only) from the start, not chmod-ed later.
    const mode_t old_umask = umask(0177);
    server = builder.BuildAndStart();
    umask(old_umask);
  }
  if (!server || (tls && tcp_port == 0)) {
    return absl::UnavailableError(
        fmt::format("cannot listen on api.unix_socket '{}'{}", config_.unix_socket,
                    tls ? fmt::format(" or api.tcp_listen '{}' (address in use, or api.tls_cert "
                                      "and api.tls_key are not a valid key pair)",
                                      config_.tcp_listen)
                        : ""));
  }
  {
    std::lock_guard lock(health_mu);
    live_server = server.get();
    UpdateHealth(*server->GetHealthCheckService(), monitor);
  }

  // Metrics are not worth refusing to manage VMs for: a port in use costs a
  // logged error, not the agent. Logged before "serving on", which callers wait for.
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!config_.metrics_listen.empty()) {
    metrics.AddGaugeSource("vms", VmStateGauges(vms, metrics));
    metrics.AddGaugeSource("backends", BackendGauges(monitor));
    // The untimed session: scrapes are not the agent's switch work.
    metrics.AddGaugeSource("ovs", metrics::SwitchGaugeSource(ovsdb_session));
    metrics.AddGaugeSource("ovsdb_client", metrics::OvsdbClientSource(ovsdb_session));
    auto started = metrics::MetricsServer::Start(config_.metrics_listen, metrics);
    if (started.ok()) {
      metrics_server = std::move(*started);
      spdlog::info("metrics on http://{}:{}/metrics",
                   config_.metrics_listen.substr(0, config_.metrics_listen.rfind(':')),
                   metrics_server->port());
    } else {
      spdlog::error("{}; serving without metrics", started.status().message());
    }
  } else {
    spdlog::info("metrics: disabled (metrics.listen is empty)");
  }
  spdlog::info(
      "hvagentd {} serving on unix:{}{} (libvirt {}, ovsdb {})", kAgentVersion, config_.unix_socket,
      tls ? fmt::format(" and {} (mutual TLS, port {})", config_.tcp_listen, tcp_port) : "",
      monitor.Status("libvirt").connected ? "connected" : "unreachable",
      monitor.Status("ovsdb").connected ? "connected" : "unreachable");
  sd_notify(0, "READY=1");
  WatchdogPinger watchdog;

  const sigset_t signals = ShutdownSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Reload();
      continue;
    }
    spdlog::info("{}: shutting down (in-flight calls get {} s)",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", config_.shutdown_grace_seconds);
    break;
  }
  sd_notify(0, "STOPPING=1");
  {
    std::lock_guard lock(health_mu);
    server->GetHealthCheckService()->Shutdown();
    live_server = nullptr;
  }
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(config_.shutdown_grace_seconds));
  server->Wait();
  monitor.Stop();
  std::error_code ec;
  std::filesystem::remove(config_.unix_socket, ec);
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace hvagent::daemon
