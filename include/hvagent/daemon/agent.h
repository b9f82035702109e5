// The composition root: every backend, manager and service of one hvagentd,
// built in dependency order (members are declared in the order they are
// built, so they are destroyed in reverse) and started in a few steps.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include "hvagent/api/access_policy.h"
#include "hvagent/api/event_hub.h"
#include "hvagent/api/event_service.h"
#include "hvagent/api/host_service.h"
#include "hvagent/api/migration_peer_service.h"
#include "hvagent/api/network_service.h"
#include "hvagent/api/request_replay.h"
#include "hvagent/api/vm_service.h"
#include "hvagent/common/worker_pool.h"
#include "hvagent/compute/controller_vm_manager.h"
#include "hvagent/compute/cpu_baseline_manager.h"
#include "hvagent/compute/domain_type_selector.h"
#include "hvagent/compute/libvirt_hypervisor.h"
#include "hvagent/compute/migration_manager.h"
#include "hvagent/compute/vm_arrivals.h"
#include "hvagent/compute/vm_device_manager.h"
#include "hvagent/compute/vm_domains.h"
#include "hvagent/compute/vm_manager.h"
#include "hvagent/compute/vm_reconciler.h"
#include "hvagent/daemon/config.h"
#include "hvagent/daemon/intent_resumer.h"
#include "hvagent/daemon/ovs_nic_backend.h"
#include "hvagent/daemon/pci_access.h"
#include "hvagent/daemon/periodic_trigger.h"
#include "hvagent/daemon/store_migration_journal.h"
#include "hvagent/host/backend_monitor.h"
#include "hvagent/host/configuration_maximums.h"
#include "hvagent/host/host_facts.h"
#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/libvirt/cpu_hypervisor.h"
#include "hvagent/libvirt/event_loop.h"
#include "hvagent/metrics/metrics.h"
#include "hvagent/metrics/metrics_server.h"
#include "hvagent/metrics/timed_transactor.h"
#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bridge_chain.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent/network/internal_port.h"
#include "hvagent/network/linux_bridge.h"
#include "hvagent/network/mirror.h"
#include "hvagent/network/nic_qos.h"
#include "hvagent/network/port_plugger.h"
#include "hvagent/network/service_chain_manager.h"
#include "hvagent/network/tunnel.h"
#include "hvagent/openflow/ofctl_flow_switch.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent/store/cpu_baseline_store.h"
#include "hvagent/store/database.h"
#include "hvagent/store/domain_type_verdict_store.h"
#include "hvagent/store/network_store.h"
#include "hvagent/store/passthrough_store.h"
#include "hvagent/store/request_log.h"
#include "hvagent/store/service_chain_store.h"

namespace hvagent::daemon {

class Agent {
 public:
  // What must be had before anything is built; each can fail, and none
  // changes the host (but the store's file, made on first start).
  struct Prerequisites {
    std::shared_ptr<grpc::ServerCredentials> tls;  // null without api.tcp_listen
    // The agent as another agent's client (migration): null likewise.
    std::shared_ptr<grpc::ChannelCredentials> peer_tls;
    host::HostFacts facts;
    std::unique_ptr<store::Database> database;
    std::unique_ptr<libvirt::EventLoop> libvirt_events;
    compute::DomainTypeSetting domain_type;
    std::optional<network::LinuxBridgeSpec> internal_bridge;
    PciAccess pci;  // Prepare leaves the host's
  };
  static StatusOr<Prerequisites> Prepare(const Config& config);

  Agent(const Config& config, Prerequisites prerequisites);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  // Until "serving on": housekeeping, virbr0, the guests' domain type, the
  // backend monitor, the gRPC server, the metrics endpoint.
  Status Start();
  // Stops accepting, lets in-flight calls finish within the grace period.
  void Stop();

 private:
  void PruneRequestLog();
  void ResumeIntents();
  void MakeInternalBridge();
  Status ChooseDomainType();
  Status StartServer();
  void StartMetrics();
  // A backend (re)connected or went: an event, health, and the upkeep it
  // calls for (reconcile, br0 and its chain, the domain type).
  void OnBackendChange(const host::BackendStatus& status);
  // br0 and the bridge chain (br0.local, br.microseg, br.nf, patch ports),
  // made or mended where they are not right; a reconcile follows a change,
  // so VM ports that could not be plugged (or are on br0 from the old
  // layout) go where they belong.
  void EnsureBridges();
  // A domain stopped or was undefined: its NICs may be leftovers now (a VM
  // that migrated away while the agent was down), and an arriving VM whose
  // domain stops here did not arrive.
  void OnLifecycle(const libvirt::LifecycleEvent& e);
  std::unique_ptr<host::BackendMonitor> MakeBackendMonitor();
  // One pass of EnsureBridges queued (bursts cost one: a thousand ports
  // deleted in a few transactions do not queue a pass each).
  void RequestBridgesPass();
  // One pass of the service chains' flows queued (bursts cost one).
  void RequestChainReconcile();
  void PublishChainState(const std::string& chain, const openflow::ChainStatus& status);

  // A listener on the OVSDB client's row changes, removed when this goes.
  class RowListener {
   public:
    RowListener(ovsdb::Client& client, ovsdb::Client::Listener listener)
        : client_(client), id_(client.AddListener(std::move(listener))) {}
    RowListener(const RowListener&) = delete;
    RowListener& operator=(const RowListener&) = delete;
    ~RowListener() { client_.RemoveListener(id_); }

   private:
    ovsdb::Client& client_;
    uint64_t id_;
  };

  const Config config_;
  std::shared_ptr<grpc::ServerCredentials> tls_;
  const host::HostFacts facts_;
  std::unique_ptr<store::Database> database_;
  store::NetworkStore networks_;
  store::ServiceChainStore chain_records_;
  store::RequestLog request_log_;
  api::EventHub events_;
  // Outlives everything that reports to it; its endpoint starts last.
  metrics::Metrics metrics_;
  std::mutex health_mu_;
  // Whether libvirt's lifecycle events may reach the reconciler and the pool
  // (between Start and Stop: the events' thread runs before and after them).
  std::mutex lifecycle_mu_;
  bool react_to_lifecycle_ = false;  // under lifecycle_mu_
  // Whether libvirt's domain events may reach domains_' cache (until Stop:
  // the events' thread runs on while the members go).
  bool watch_domains_ = true;            // under lifecycle_mu_
  grpc::Server* live_server_ = nullptr;  // set once serving, under health_mu_

  // libvirt's event loop first: the connection's keep-alives and domain
  // events run on it.
  std::unique_ptr<libvirt::EventLoop> libvirt_events_;
  libvirt::ConnectionManager libvirt_;
  // One monitored connection (cache, coalesced writes); a change returns
  // once ovs-vswitchd applied it. Every OVSDB user goes through the timed
  // decorator (latency, batch sizes).
  ovsdb::Client ovsdb_client_;
  metrics::TimedTransactor ovsdb_;
  network::OvsdbPortPlugger plugger_;
  network::InternalPortManager internal_ports_;
  network::TunnelManager tunnels_;
  network::MirrorManager mirrors_;
  // Service chains' flows through ovs-ofctl (docs/architecture.md says why).
  openflow::OfctlFlowSwitch flow_switch_;
  network::ServiceChainManager service_chains_;
  std::atomic<bool> chain_pass_queued_{false};
  std::atomic<bool> bridges_pass_queued_{false};
  const std::optional<network::LinuxBridgeSpec> internal_bridge_;
  network::BridgeManager bridges_;
  network::BridgeChain bridge_chain_;
  // Whether the last EnsureBridges made br0 and its chain; a failed one (an
  // ovsdb-server gone mid-way) is tried again by the periodic tick, since a
  // reconnect the health probe missed triggers nothing else.
  std::atomic<bool> bridges_made_{false};
  network::BondManager bonds_;
  network::NicQosApplier nic_qos_;
  OvsNicBackend nic_backend_;
  StoreNetworkResolver network_resolver_;

  const host::ConfigurationMaximums maximums_;
  store::DomainTypeVerdictStore domain_type_verdicts_;
  compute::DomainTypeSelector domain_types_;
  compute::LibvirtHypervisor hypervisor_;
  // The CPU calls ask for guests of the chosen domain type ("qemu" under TCG
  // offers other CPUs than "kvm"); libvirt's default until it is chosen.
  libvirt::LibvirtCpuHypervisor cpu_hypervisor_;
  store::CpuBaselineStore cpu_baseline_store_;
  // The host CPU report and the cluster baseline every domain is held to.
  compute::CpuBaselineManager cpu_baselines_;
  compute::VmDomains domains_;
  compute::VmManager vms_;
  compute::VmDeviceManager devices_;
  compute::VmReconciler reconciler_;
  // The Controller VM: vfio-pci binding through libvirt's node devices,
  // recorded in the store; its protection guards VmService.
  store::PassthroughStore passthrough_records_;
  compute::LibvirtControllerVmDomains cvm_domains_;
  compute::PassthroughBinder passthrough_;
  compute::ControllerVmManager cvm_;
  compute::VmArrivals arrivals_;
  // Migrations away from here: each on a thread of its own, cancelled and
  // waited for (the VM stays here) before what they use goes. Each recorded
  // in the store: a restarted agent still answers for it.
  store::MigrationRecordStore migration_records_;
  StoreMigrationJournal migration_journal_;
  compute::MigrationManager migrations_;

  // Declared after what its tasks use, so it finishes them first on the way out.
  WorkerPool pool_;
  // The RPCs' reads, apart: never queued behind changes (api::RpcWorkers).
  WorkerPool read_pool_;
  // Port changes, apart and many: coalesced into few OVSDB transactions.
  WorkerPool port_pool_;
  RowListener bridge_watch_;
  RowListener port_watch_;
  // A processor NIC's link or port changing (its VM stopped or started) and a
  // VM NIC coming or going: the chains' flows follow within the pass.
  RowListener interface_watch_;
  std::unique_ptr<host::BackendMonitor> monitor_;

  api::RequestReplay replay_;
  const api::AccessPolicy access_;
  api::HostServiceImpl host_service_;
  api::NetworkServiceImpl network_service_;
  api::EventServiceImpl event_service_;
  api::VmServiceImpl vm_service_;
  api::MigrationPeerServiceImpl migration_peer_service_;
  std::unique_ptr<grpc::Server> server_;
  int tcp_port_ = 0;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  // Every few seconds a pass of the chains' flows: one deleted behind the
  // agent's back comes back. Started in Start, gone first.
  std::unique_ptr<PeriodicTrigger> chain_ticker_;
  // Free memory malloc holds above this goes back to the kernel every second.
  static constexpr size_t kMallocSlackBytes = size_t{4} * 1024 * 1024;
  std::unique_ptr<PeriodicTrigger> memory_ticker_;
  // Resumes the calls the last run cut short; started once serving.
  std::unique_ptr<IntentResumer> intent_resumer_;
};

}  // namespace hvagent::daemon
