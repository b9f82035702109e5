#include "hvagent/daemon/agent.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server_builder.h>

#include "hvagent/api/grpc_migration_peer.h"
#include "hvagent/api/logging_interceptor.h"
#include "hvagent/api/metrics_interceptor.h"
#include "hvagent/api/migration_convert.h"
#include "hvagent/api/service_chain_convert.h"
#include "hvagent/api/undecodable_request_interceptor.h"
#include "hvagent/api/vm_convert.h"
#include "hvagent/common/version.h"
#include "hvagent/common/worker_keys.h"
#include "hvagent/compute/probe_domain_name.h"
#include "hvagent/daemon/listeners.h"
#include "hvagent/daemon/malloc_tuning.h"
#include "hvagent/daemon/switch_row_changes.h"
#include "hvagent/metrics/ovsdb_client_source.h"
#include "hvagent/metrics/switch_gauges.h"
#include "hvagent/metrics/timed_backend_probe.h"
#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {

std::string KernelHostName() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
  return std::string(buf.data());
}

std::string KernelRelease() {
  struct utsname names {};
  return uname(&names) == 0 ? std::string(names.release) : std::string();
}

compute::ControllerVmOptions ControllerVmOptionsOf(const Config& config,
                                                   const compute::DomainTypeSelector& types,
                                                   const PciAccess& pci) {
  compute::ControllerVmOptions options;
  options.host_name = KernelHostName();
  options.sysfs = {.root = pci.sysfs_root, .kernel_release = KernelRelease()};
  options.backup_dir = config.state_dir + "/cvm";
  options.domain_type_of = [&types] {
    const auto chosen = types.Current();
    return chosen && chosen->type == compute::DomainType::kQemu ? "qemu" : "kvm";
  };
  return options;
}

// Domain lifecycle events from libvirt become VmLifecycleEvents.
void PublishLifecycle(api::EventHub& events, const libvirt::LifecycleEvent& e) {
  if (compute::IsProbeDomainName(e.domain_name)) return;  // the agent's own probe guest
  v1::Event event = api::NewEvent(v1::EVENT_KIND_VM_LIFECYCLE, e.domain_name);
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
  health.SetServingStatus("hvagent.v1.MigrationPeerService", libvirt && ovsdb);
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

// A probe of the client's own connection: health (and the reconcile it
// triggers) follows it, so "ovsdb connected" means the agent's OVSDB calls
// can run.
class OvsdbClientProbe final : public host::BackendProbe {
 public:
  explicit OvsdbClientProbe(ovsdb::Client& client) : client_(client) {}
  std::string name() const override { return "ovsdb"; }
  std::string endpoint() const override { return client_.endpoint(); }
  StatusOr<std::string> Probe() override {
    if (!client_.WaitConnected(std::chrono::seconds(3))) {
      return absl::UnavailableError(
          fmt::format("ovsdb-server at {} is not connected", client_.endpoint()));
    }
    return client_.schema_version();
  }

 private:
  ovsdb::Client& client_;
};

compute::VmLimits VmLimitsOf(const host::ConfigurationMaximums& maximums) {
  return {.max_vcpus = maximums.vcpus_per_vm,
          .max_memory_bytes = maximums.memory_bytes_per_vm,
          .max_disk_bytes = maximums.disk_bytes,
          .max_nics = maximums.nics_per_vm,
          .max_disks = maximums.disks_per_vm};
}

compute::VmLayerOptions VmLayerOptionsOf(const Config& config,
                                         const host::ConfigurationMaximums& maximums) {
  return {.state_dir = config.state_dir,
          .image_roots = config.image_roots,
          .limits = VmLimitsOf(maximums)};
}

}  // namespace

StatusOr<Agent::Prerequisites> Agent::Prepare(const Config& config) {
  Prerequisites p;
  if (!config.tcp_listen.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(p.tls, MutualTlsCredentials(config));
    HVAGENT_ASSIGN_OR_RETURN(p.peer_tls, MutualTlsChannelCredentials(config));
  }
  // Before anything changes on disk, so that a second agent on the same socket
  // changes nothing.
  HVAGENT_RETURN_IF_ERROR(PrepareUnixSocket(config.unix_socket));
  HVAGENT_ASSIGN_OR_RETURN(p.facts, host::ReadHostFacts("/"));
  HVAGENT_ASSIGN_OR_RETURN(
      p.domain_type, compute::ParseDomainTypeSetting(config.domain_type, "compute.domain_type"));
  if (!config.internal_bridge.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(p.internal_bridge, network::ParseLinuxBridgeSpec(
                                                    config.internal_bridge, "network.internal_cidr",
                                                    config.internal_cidr));
  }
  HVAGENT_ASSIGN_OR_RETURN(p.database, store::Database::Open(config.state_dir + "/hvagent.db"));
  HVAGENT_ASSIGN_OR_RETURN(p.libvirt_events, libvirt::EventLoop::Start());
  return p;
}

Agent::Agent(const Config& config, Prerequisites p)
    : config_(config),
      tls_(std::move(p.tls)),
      facts_(p.facts),
      database_(std::move(p.database)),
      networks_(*database_),
      chain_records_(*database_),
      request_log_(*database_),
      events_(static_cast<size_t>(config_.event_ring_capacity)),
      libvirt_events_(std::move(p.libvirt_events)),
      libvirt_({.uri = config_.libvirt_uri},
               [this](const libvirt::LifecycleEvent& e) { OnLifecycle(e); },
               {.changed =
                    [this](const std::string& name) {
                      std::lock_guard lock(lifecycle_mu_);
                      if (watch_domains_) domains_.cache().DomainChanged(name);
                    },
                .live =
                    [this](bool live) {
                      std::lock_guard lock(lifecycle_mu_);
                      if (watch_domains_) domains_.cache().SetLive(live);
                    }}),
      ovsdb_client_({.endpoint = config_.ovsdb_endpoint, .wait_for_apply = true}),
      ovsdb_(ovsdb_client_, metrics_),
      plugger_(ovsdb_),
      internal_ports_(ovsdb_),
      tunnels_(ovsdb_),
      mirrors_(ovsdb_),
      flow_switch_(openflow::OfctlOptions{
          .rundir = openflow::RundirOfOvsdbEndpoint(config_.ovsdb_endpoint).empty()
                        ? "/var/run/openvswitch"
                        : openflow::RundirOfOvsdbEndpoint(config_.ovsdb_endpoint),
          .scratch_dir = config_.state_dir}),
      service_chains_(
          ovsdb_, flow_switch_, [this] { return api::StoredChainSpecs(chain_records_, networks_); },
          [this](const std::string& chain, const openflow::ChainStatus& status) {
            PublishChainState(chain, status);
          }),
      internal_bridge_(std::move(p.internal_bridge)),
      bridges_(ovsdb_, config_.datapath_type),
      bridge_chain_(ovsdb_),
      bonds_(ovsdb_),
      nic_qos_(ovsdb_),
      nic_backend_(plugger_, nic_qos_),
      network_resolver_(networks_),
      maximums_(host::ComputeMaximums(facts_, config_.max_networks)),
      domain_type_verdicts_(*database_),
      domain_types_(p.domain_type, {.work_dir = config_.state_dir + "/probe"},
                    &domain_type_verdicts_),
      hypervisor_(libvirt_, domain_types_),
      cpu_hypervisor_(libvirt_,
                      [this]() -> std::string {
                        if (auto chosen = domain_types_.Current()) {
                          return chosen->type == compute::DomainType::kKvm ? "kvm" : "qemu";
                        }
                        return "";
                      }),
      cpu_baseline_store_(*database_),
      cpu_baselines_(cpu_hypervisor_, cpu_baseline_store_),
      domains_(hypervisor_, &cpu_baselines_),
      vms_(VmLayerOptionsOf(config_, maximums_), domains_, nic_backend_, network_resolver_),
      devices_(VmLayerOptionsOf(config_, maximums_), domains_, nic_backend_, network_resolver_),
      reconciler_(domains_, nic_backend_, config_.state_dir),
      passthrough_records_(*database_),
      cvm_domains_(libvirt_),
      passthrough_(passthrough_records_, p.pci.binder != nullptr ? *p.pci.binder : cvm_domains_),
      cvm_(ControllerVmOptionsOf(config_, domain_types_, p.pci), cvm_domains_, passthrough_),
      arrivals_(VmLimitsOf(maximums_), compute::HostPathsOf(VmLayerOptionsOf(config_, maximums_)),
                domains_, nic_backend_, network_resolver_, compute::CpuCheckWith(cpu_baselines_)),
      migration_records_(*database_),
      migration_journal_(migration_records_),
      // Through domains_: a VM migrated away is not read from its cache.
      migrations_({.journal = &migration_journal_}, domains_.hypervisor(), nic_backend_,
                  api::GrpcMigrationPeerConnector(p.peer_tls),
                  [this](const compute::MigrationStatus& status) {
                    v1::Event event = api::NewEvent(v1::EVENT_KIND_MIGRATION, status.vm_name);
                    api::MigrationToProto(status, event.mutable_migration()->mutable_migration());
                    events_.Publish(std::move(event));
                  }),
      pool_(static_cast<size_t>(config_.workers), static_cast<size_t>(config_.max_queued_calls)),
      read_pool_(static_cast<size_t>(config_.workers),
                 static_cast<size_t>(config_.max_queued_calls)),
      port_pool_(static_cast<size_t>(config_.port_workers),
                 static_cast<size_t>(config_.max_queued_calls)),
      // br0 and its chain again whenever a Bridge row or a Port that is not
      // a VM's or the host's leaf port goes: a deleted bridge or patch port,
      // or an ovsdb-server back without its database after an outage shorter
      // than a health probe.
      bridge_watch_(ovsdb_client_,
                    [this](const std::vector<ovsdb::RowChange>& changes) {
                      if (MayUndoBridges(changes)) RequestBridgesPass();
                    }),
      // A VM NIC's Port row gone under the agent (deleted by hand, or an
      // ovsdb-server restarted on a fresh database) is put back by a
      // reconcile; other ports going (the agent's internal ports, tunnels)
      // leave every VM as it was.
      port_watch_(ovsdb_client_,
                  [this](const std::vector<ovsdb::RowChange>& changes) {
                    if (DeletesVmNicPort(changes)) reconciler_.Request(pool_);
                  }),
      interface_watch_(ovsdb_client_,
                       [this](const std::vector<ovsdb::RowChange>& changes) {
                         if (std::any_of(changes.begin(), changes.end(), [](const auto& change) {
                               return change.table == "Interface";
                             })) {
                           RequestChainReconcile();
                         }
                       }),
      monitor_(MakeBackendMonitor()),
      replay_(request_log_),
      access_(config_.read_only_identities),
      host_service_({pool_, read_pool_}, replay_, access_, events_, *monitor_, domain_types_,
                    facts_, maximums_, cvm_, cpu_baselines_),
      network_service_({pool_, read_pool_, &port_pool_}, replay_, access_, events_, networks_,
                       chain_records_, vms_,
                       {.bridges = bridges_,
                        .bonds = bonds_,
                        .internal_ports = internal_ports_,
                        .tunnels = tunnels_,
                        .mirrors = mirrors_,
                        .service_chains = service_chains_,
                        .internal_bridge = internal_bridge_ ? &*internal_bridge_ : nullptr},
                       {.max_networks = config_.max_networks}),
      event_service_(events_),
      vm_service_({pool_, read_pool_}, replay_, access_, vms_, devices_, migrations_, &cvm_),
      migration_peer_service_({pool_, read_pool_}, replay_, access_, arrivals_) {
  cvm_.SetForcedActionListener(
      [this](std::string_view vm, std::string_view action, std::string_view reason) {
        v1::Event event = api::NewEvent(v1::EVENT_KIND_CONTROLLER_VM, std::string(vm));
        auto* cvm = event.mutable_controller_vm();
        cvm->set_vm_name(std::string(vm));
        cvm->set_change("forced-action");
        cvm->set_action(std::string(action));
        cvm->set_reason(std::string(reason));
        events_.Publish(std::move(event));
      });
}

Agent::~Agent() { Stop(); }

std::unique_ptr<host::BackendMonitor> Agent::MakeBackendMonitor() {
  std::vector<std::unique_ptr<host::BackendProbe>> probes;
  probes.push_back(metrics::TimeLibvirtProbe(host::MakeLibvirtProbe(libvirt_), metrics_));
  probes.push_back(std::make_unique<OvsdbClientProbe>(ovsdb_client_));
  return std::make_unique<host::BackendMonitor>(
      std::move(probes), host::BackendMonitor::Options{},
      [this](const host::BackendStatus& status) { OnBackendChange(status); });
}

void Agent::RequestBridgesPass() {
  if (bridges_pass_queued_.exchange(true)) return;
  SubmitOrLog(pool_, worker_keys::kSwitch, "making sure of the bridges", [this] {
    bridges_pass_queued_ = false;
    EnsureBridges();
  });
}

void Agent::RequestChainReconcile() {
  if (chain_pass_queued_.exchange(true)) return;
  SubmitOrLog(pool_, worker_keys::kServiceChains, "the service chains' flows", [this] {
    chain_pass_queued_ = false;
    auto pass = service_chains_.Reconcile();
    if (!pass.ok()) {
      spdlog::warn("service chains: flows not made so: {}", pass.status());
    } else if (pass->flows_added + pass->flows_removed != 0) {
      spdlog::info("service chains: {} flows added, {} removed", pass->flows_added,
                   pass->flows_removed);
    }
  });
}

void Agent::PublishChainState(const std::string& chain, const openflow::ChainStatus& status) {
  spdlog::info("service chain {}: {}", chain, openflow::ChainStateName(status.state));
  v1::Event event = api::NewEvent(v1::EVENT_KIND_SERVICE_CHAIN, chain);
  auto* payload = event.mutable_service_chain();
  payload->set_chain(chain);
  payload->set_state(std::string(openflow::ChainStateName(status.state)));
  for (const std::string& down : status.processors_down) payload->add_processors_down(down);
  events_.Publish(std::move(event));
}

void Agent::OnLifecycle(const libvirt::LifecycleEvent& e) {
  PublishLifecycle(events_, e);
  cvm_.NoteLifecycle(e.domain_name, libvirt::DomainStateName(e.state));
  {
    // A processor VM's state change: its chains' flows follow.
    std::lock_guard lock(lifecycle_mu_);
    if (react_to_lifecycle_) RequestChainReconcile();
  }
  // Only a run that ended (its taps and ports) or a domain that went (its
  // images too) can leave something behind. Not a define: a reconcile per
  // CreateVm lists every domain, port and image, and made each create cost
  // O(VMs) (docs/performance.md).
  if (!e.Stopped() && !e.Undefined()) return;
  std::lock_guard lock(lifecycle_mu_);
  if (!react_to_lifecycle_) return;
  if (e.Stopped()) domains_.ClearArriving(e.domain_uuid);
  if (e.MigratedAway()) reconciler_.ReleaseDeparted(e.domain_name, pool_);
  reconciler_.Request(pool_);
}

Status Agent::Start() {
  {
    std::lock_guard lock(lifecycle_mu_);
    react_to_lifecycle_ = true;
  }
  PruneRequestLog();
  MakeInternalBridge();
  HVAGENT_RETURN_IF_ERROR(ChooseDomainType());
  monitor_->Start();
  HVAGENT_RETURN_IF_ERROR(StartServer());
  ResumeIntents();
  StartMetrics();
  chain_ticker_ = std::make_unique<PeriodicTrigger>(std::chrono::seconds(5), [this] {
    if (!bridges_made_) RequestBridgesPass();
    RequestChainReconcile();
  });
  // After a burst of work (ports, a reconcile, a restart's first monitor
  // reply) malloc keeps what it freed (malloc_tuning.h): given back here.
  // Every second: the live heap peaks far below what malloc then holds (18.4
  // of ~40 MiB at 1,000 ports), and a quiet check is one mallinfo2 call.
  memory_ticker_ = std::make_unique<PeriodicTrigger>(std::chrono::seconds(1), [] {
    if (const size_t held = TrimMallocAbove(kMallocSlackBytes); held > 0) {
      spdlog::debug("returned free memory to the kernel: malloc held {:.1f} MiB free",
                    static_cast<double>(held) / (1024 * 1024));
    }
  });
  spdlog::info(
      "hvagentd {} serving on unix:{}{} (libvirt {}, ovsdb {})", kAgentVersion, config_.unix_socket,
      tls_ ? fmt::format(" and {} (mutual TLS, port {})", config_.tcp_listen, tcp_port_) : "",
      monitor_->Status("libvirt").connected ? "connected" : "unreachable",
      monitor_->Status("ovsdb").connected ? "connected" : "unreachable");
  return absl::OkStatus();
}

// The calls the last run of the agent cut short, finished now (on the
// agent's own server, as their client's retry would).
void Agent::ResumeIntents() {
  auto pending = request_log_.Pending();
  if (!pending.ok()) {
    spdlog::error("cannot read the intents of calls cut short: {}", pending.status());
    return;
  }
  if (pending->empty()) return;
  spdlog::info("resuming {} calls the last run cut short", pending->size());
  intent_resumer_ =
      std::make_unique<IntentResumer>(*std::move(pending), server_->InProcessChannel({}));
}

// Kept request ids: a day's worth, at most 100k.
void Agent::PruneRequestLog() {
  const int64_t day_ago_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          (std::chrono::system_clock::now() - std::chrono::hours(24)).time_since_epoch())
          .count();
  if (auto pruned = request_log_.Prune(day_ago_ms, 100000); !pruned.ok()) {
    spdlog::warn("cannot prune old request ids: {}", pruned.status());
  }
}

// virbr0 (network.internal_bridge), made at start when configured. A failure
// is logged, not fatal: VMs and the switch do not depend on it.
void Agent::MakeInternalBridge() {
  if (!internal_bridge_) return;
  if (Status made = network::LinuxBridge::Ensure(*internal_bridge_); !made.ok()) {
    spdlog::error("cannot make the internal bridge {}: {}", internal_bridge_->name, made);
  } else {
    spdlog::info("internal bridge {} up, host address {}", internal_bridge_->name,
                 internal_bridge_->host.ToString());
  }
}

// The guests' domain type, chosen before the agent serves so that GetHost
// shows it (and "kvm" that cannot be had stops the start here). With libvirt
// unreachable now, it is chosen once libvirt is reached.
Status Agent::ChooseDomainType() {
  if (auto conn = libvirt_.Get(); !conn.ok()) {
    spdlog::warn("domain type: not chosen yet, libvirt is unreachable ({})", conn.status());
  } else if (auto chosen = domain_types_.Choose(**conn); !chosen.ok()) {
    if (chosen.status().code() == absl::StatusCode::kFailedPrecondition) return chosen.status();
    spdlog::warn("domain type: not chosen yet: {}", chosen.status());
  }
  return absl::OkStatus();
}

// br0 exists by default: made (with its internal port) when missing; an
// existing br0, whoever made it, is left as it is. The bridge chain is then
// made or mended (network/bridge_chain.h); when it is right nothing is
// written. Run under the key the bridge RPCs use, so it never races a
// CreateBridge.
void Agent::EnsureBridges() {
  bridges_made_ = false;
  auto created = bridges_.Ensure(network::kDefaultBridgeName);
  if (!created.ok()) {
    spdlog::warn("cannot make sure of bridge {}: {}", network::kDefaultBridgeName,
                 created.status());
    return;
  }
  if (*created) {
    spdlog::info("created bridge {} (datapath {})", network::kDefaultBridgeName,
                 bridges_.default_datapath_type());
  }
  auto chained = bridge_chain_.Ensure();
  if (!chained.ok()) {
    spdlog::warn("cannot make sure of the bridge chain: {}", chained.status());
    return;
  }
  bridges_made_ = true;
  if (*chained) {
    spdlog::info("bridge chain {} -> {} -> {} -> {} made or mended", network::kLocalBridgeName,
                 network::kMicrosegBridgeName, network::kNetworkFunctionBridgeName,
                 network::kDefaultBridgeName);
    // VM ports that found no bridge, or sit on br0 from the old layout.
    reconciler_.Request(pool_);
  }
}

void Agent::OnBackendChange(const host::BackendStatus& status) {
  v1::Event event = api::NewEvent(v1::EVENT_KIND_BACKEND, status.name);
  event.mutable_backend()->set_backend(status.name);
  api::BackendToProto(status, event.mutable_backend()->mutable_state());
  events_.Publish(std::move(event));
  if (status.connected) reconciler_.Request(pool_);
  if (status.connected && status.name == "libvirt") {
    // A kill mid-binding is finished first, then the CVM's state read for health.
    SubmitOrLog(pool_, worker_keys::Vm(cvm_.name()), "the Controller VM's passthrough and state",
                [this] {
                  if (Status recovered = passthrough_.Recover(); !recovered.ok()) {
                    spdlog::error("vfio-pci recovery: {}", recovered);
                  }
                  cvm_.RefreshHealth();
                });
  }
  if (status.connected && status.name == "libvirt" && !domain_types_.Current()) {
    SubmitOrLog(pool_, worker_keys::kDomainType, "choosing the domain type", [this] {
      auto conn = libvirt_.Get();
      if (!conn.ok()) return;
      if (auto chosen = domain_types_.Choose(**conn); !chosen.ok()) {
        spdlog::error("domain type: {}", chosen.status());
      }
    });
  }
  if (status.connected && status.name == "ovsdb") {
    RequestBridgesPass();
    RequestChainReconcile();
  }
  std::lock_guard lock(health_mu_);
  if (live_server_ != nullptr) UpdateHealth(*live_server_->GetHealthCheckService(), *monitor_);
}

Status Agent::StartServer() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config_.unix_socket, grpc::InsecureServerCredentials());
  if (tls_) builder.AddListeningPort(config_.tcp_listen, tls_, &tcp_port_);
  builder.RegisterService(&host_service_);
  builder.RegisterService(&network_service_);
  builder.RegisterService(&event_service_);
  builder.RegisterService(&vm_service_);
  builder.RegisterService(&migration_peer_service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First: logging and metrics see the status it gives undecodable requests.
  interceptors.push_back(std::make_unique<api::UndecodableRequestInterceptorFactory>());
  interceptors.push_back(std::make_unique<api::LoggingInterceptorFactory>());
  interceptors.push_back(std::make_unique<api::MetricsInterceptorFactory>(metrics_));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  {
    // The socket is created 0600 (owner only) from the start, not chmod-ed later.
    const mode_t old_umask = umask(0177);
    server_ = builder.BuildAndStart();
    umask(old_umask);
  }
  if (!server_ || (tls_ && tcp_port_ == 0)) {
    return absl::UnavailableError(
        fmt::format("cannot listen on api.unix_socket '{}'{}", config_.unix_socket,
                    tls_ ? fmt::format(" or api.tcp_listen '{}' (address in use, or api.tls_cert "
                                       "and api.tls_key are not a valid key pair)",
                                       config_.tcp_listen)
                         : ""));
  }
  std::lock_guard lock(health_mu_);
  live_server_ = server_.get();
  UpdateHealth(*server_->GetHealthCheckService(), *monitor_);
  return absl::OkStatus();
}

// Metrics are not worth refusing to manage VMs for: a port in use costs a
// logged error, not the agent. Logged before "serving on", which callers wait for.
void Agent::StartMetrics() {
  if (config_.metrics_listen.empty()) {
    spdlog::info("metrics: disabled (metrics.listen is empty)");
    return;
  }
  metrics_.AddGaugeSource("vms", VmStateGauges(vms_, metrics_));
  metrics_.AddGaugeSource("backends", BackendGauges(*monitor_));
  // The untimed client: scrapes are not the agent's switch work.
  metrics_.AddGaugeSource("ovs", metrics::SwitchGaugeSource(ovsdb_client_));
  metrics_.AddGaugeSource("ovsdb_client", metrics::OvsdbClientSource(ovsdb_client_));
  auto started = metrics::MetricsServer::Start(config_.metrics_listen, metrics_);
  if (!started.ok()) {
    spdlog::error("{}; serving without metrics", started.status().message());
    return;
  }
  metrics_server_ = std::move(*started);
  spdlog::info("metrics on http://{}:{}/metrics",
               config_.metrics_listen.substr(0, config_.metrics_listen.rfind(':')),
               metrics_server_->port());
}

void Agent::Stop() {
  intent_resumer_.reset();
  chain_ticker_.reset();
  memory_ticker_.reset();
  {
    std::lock_guard lock(lifecycle_mu_);
    react_to_lifecycle_ = false;
  }
  if (server_) {
    {
      std::lock_guard lock(health_mu_);
      server_->GetHealthCheckService()->Shutdown();
      live_server_ = nullptr;
    }
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(config_.shutdown_grace_seconds));
    server_->Wait();
    server_.reset();
    std::error_code ec;
    std::filesystem::remove(config_.unix_socket, ec);
  }
  monitor_->Stop();
  // No read is served from here on; the cache goes before the connection.
  std::lock_guard lock(lifecycle_mu_);
  watch_domains_ = false;
}

}  // namespace hvagent::daemon
