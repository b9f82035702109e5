// NetworkService: networks (named VLANs on a bridge) kept in the local store,
// and the switch: bridges, bonds, internal ports, tunnels, mirrors, virbr0.
// Service chains are kept in the store and made so on the switch by
// network::ServiceChainManager (docs/service-chains.md).
#pragma once

#include "hvagent/api/event_hub.h"
#include "hvagent/api/rpc_runner.h"
#include "hvagent/compute/network_usage.h"
#include "hvagent/network/bond_manager.h"
#include "hvagent/network/bridge_manager.h"
#include "hvagent/network/internal_port.h"
#include "hvagent/network/linux_bridge.h"
#include "hvagent/network/mirror.h"
#include "hvagent/network/service_chain_manager.h"
#include "hvagent/network/tunnel.h"
#include "hvagent/store/network_store.h"
#include "hvagent/store/service_chain_store.h"
#include "hvagent/v1/network.grpc.pb.h"

namespace hvagent::api {

class NetworkServiceImpl final : public v1::NetworkService::CallbackService {
 public:
  struct Limits {
    // Networks per host (docs/limits.md).
    int64_t max_networks = 4096;
  };
  // The switch's managers, all made before the service.
  struct Managers {
    network::BridgeManager& bridges;
    network::BondManager& bonds;
    network::InternalPortManager& internal_ports;
    network::TunnelManager& tunnels;
    network::MirrorManager& mirrors;
    // Service chains: their flows, made so after every chain change.
    network::ServiceChainManager& service_chains;
    // virbr0 (network.internal_bridge); null when not configured.
    const network::LinuxBridgeSpec* internal_bridge = nullptr;
  };

  NetworkServiceImpl(RpcWorkers workers, RequestReplay& replay, const AccessPolicy& access,
                     EventHub& events, store::NetworkStore& networks,
                     store::ServiceChainStore& chain_records, compute::NetworkUsage& usage,
                     Managers managers, Limits limits)
      : rpc_(v1::NetworkService::service_full_name(), workers, replay, access),
        events_(events),
        networks_(networks),
        chain_records_(chain_records),
        usage_(usage),
        managers_(managers),
        limits_(limits) {}

  grpc::ServerUnaryReactor* CreateNetwork(grpc::CallbackServerContext* context,
                                          const v1::CreateNetworkRequest* request,
                                          v1::Network* response) override;
  grpc::ServerUnaryReactor* GetNetwork(grpc::CallbackServerContext* context,
                                       const v1::GetNetworkRequest* request,
                                       v1::Network* response) override;
  grpc::ServerUnaryReactor* ListNetworks(grpc::CallbackServerContext* context,
                                         const v1::ListNetworksRequest* request,
                                         v1::ListNetworksResponse* response) override;
  grpc::ServerUnaryReactor* UpdateNetwork(grpc::CallbackServerContext* context,
                                          const v1::UpdateNetworkRequest* request,
                                          v1::Network* response) override;
  grpc::ServerUnaryReactor* DeleteNetwork(grpc::CallbackServerContext* context,
                                          const v1::DeleteNetworkRequest* request,
                                          v1::DeleteNetworkResponse* response) override;

  // Bridges and bonds (network_service_bridges.cc).
  grpc::ServerUnaryReactor* CreateBridge(grpc::CallbackServerContext* context,
                                         const v1::CreateBridgeRequest* request,
                                         v1::Bridge* response) override;
  grpc::ServerUnaryReactor* GetBridge(grpc::CallbackServerContext* context,
                                      const v1::GetBridgeRequest* request,
                                      v1::Bridge* response) override;
  grpc::ServerUnaryReactor* ListBridges(grpc::CallbackServerContext* context,
                                        const v1::ListBridgesRequest* request,
                                        v1::ListBridgesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteBridge(grpc::CallbackServerContext* context,
                                         const v1::DeleteBridgeRequest* request,
                                         v1::DeleteBridgeResponse* response) override;
  grpc::ServerUnaryReactor* CreateBond(grpc::CallbackServerContext* context,
                                       const v1::CreateBondRequest* request,
                                       v1::Bond* response) override;
  grpc::ServerUnaryReactor* GetBond(grpc::CallbackServerContext* context,
                                    const v1::GetBondRequest* request, v1::Bond* response) override;
  grpc::ServerUnaryReactor* ListBonds(grpc::CallbackServerContext* context,
                                      const v1::ListBondsRequest* request,
                                      v1::ListBondsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateBond(grpc::CallbackServerContext* context,
                                       const v1::UpdateBondRequest* request,
                                       v1::Bond* response) override;
  grpc::ServerUnaryReactor* DeleteBond(grpc::CallbackServerContext* context,
                                       const v1::DeleteBondRequest* request,
                                       v1::DeleteBondResponse* response) override;

  // Internal ports, tunnels, mirrors and virbr0 (network_service_ports.cc).
  // GetInternalNetwork answers FAILED_PRECONDITION without a configured bridge.
  grpc::ServerUnaryReactor* CreateInternalPort(grpc::CallbackServerContext* context,
                                               const v1::CreateInternalPortRequest* request,
                                               v1::InternalPort* response) override;
  grpc::ServerUnaryReactor* ListInternalPorts(grpc::CallbackServerContext* context,
                                              const v1::ListInternalPortsRequest* request,
                                              v1::ListInternalPortsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteInternalPort(grpc::CallbackServerContext* context,
                                               const v1::DeleteInternalPortRequest* request,
                                               v1::DeleteInternalPortResponse* response) override;
  grpc::ServerUnaryReactor* CreateTunnel(grpc::CallbackServerContext* context,
                                         const v1::CreateTunnelRequest* request,
                                         v1::Tunnel* response) override;
  grpc::ServerUnaryReactor* ListTunnels(grpc::CallbackServerContext* context,
                                        const v1::ListTunnelsRequest* request,
                                        v1::ListTunnelsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteTunnel(grpc::CallbackServerContext* context,
                                         const v1::DeleteTunnelRequest* request,
                                         v1::DeleteTunnelResponse* response) override;
  grpc::ServerUnaryReactor* CreateMirror(grpc::CallbackServerContext* context,
                                         const v1::CreateMirrorRequest* request,
                                         v1::Mirror* response) override;
  grpc::ServerUnaryReactor* ListMirrors(grpc::CallbackServerContext* context,
                                        const v1::ListMirrorsRequest* request,
                                        v1::ListMirrorsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteMirror(grpc::CallbackServerContext* context,
                                         const v1::DeleteMirrorRequest* request,
                                         v1::DeleteMirrorResponse* response) override;
  // Service chains (network_service_chains.cc).
  grpc::ServerUnaryReactor* CreateServiceChain(grpc::CallbackServerContext* context,
                                               const v1::CreateServiceChainRequest* request,
                                               v1::ServiceChain* response) override;
  grpc::ServerUnaryReactor* GetServiceChain(grpc::CallbackServerContext* context,
                                            const v1::GetServiceChainRequest* request,
                                            v1::ServiceChain* response) override;
  grpc::ServerUnaryReactor* ListServiceChains(grpc::CallbackServerContext* context,
                                              const v1::ListServiceChainsRequest* request,
                                              v1::ListServiceChainsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateServiceChain(grpc::CallbackServerContext* context,
                                               const v1::UpdateServiceChainRequest* request,
                                               v1::ServiceChain* response) override;
  grpc::ServerUnaryReactor* DeleteServiceChain(grpc::CallbackServerContext* context,
                                               const v1::DeleteServiceChainRequest* request,
                                               v1::DeleteServiceChainResponse* response) override;

  grpc::ServerUnaryReactor* GetInternalNetwork(grpc::CallbackServerContext* context,
                                               const v1::GetInternalNetworkRequest* request,
                                               v1::InternalNetwork* response) override;

 private:
  void PublishNetworkChange(const std::string& name, const std::string& change, uint32_t vlan_id);
  // The end of a network's create or update: the network as now stored (its
  // generation too) in `response`, and `change` told to watchers.
  Status AnswerChangedNetwork(const std::string& name, const std::string& change,
                              v1::Network* response);
  void PublishPortChange(const std::string& bridge, const std::string& port,
                         const std::string& change);
  // Deletes the agent's port request->name() (an internal port or a tunnel)
  // through `ports` and tells watchers: both port kinds' Delete handler.
  template <typename Request, typename Response, typename Ports>
  grpc::ServerUnaryReactor* DeletePort(grpc::CallbackServerContext* context,
                                       std::string_view method, const Request* request,
                                       Response* response, Ports& ports);
  // `chain` checked against the network store and every other chain.
  Status CheckChainFits(const v1::ServiceChain& chain);
  // FAILED_PRECONDITION naming the chains applied to `network`, if any: a
  // network a chain uses is not deleted from under it.
  Status CheckNoChainUses(const std::string& network);
  // The flows made so after a chain change; on failure `undo` restores the
  // store and the flows are made so again (best effort), and the error returns.
  Status ApplyChains(const std::function<Status()>& undo);
  // The chain `name` as stored, with the state of its processors, in `response`.
  Status AnswerStoredChain(const std::string& name, v1::ServiceChain* response);
  // Whether a resumed update finds its own change stored: the values it sets
  // (`stored_as_asked`), one generation past the `expected` it sent (or none
  // sent). Answered as done, not refused because the generation moved on.
  static bool FindsItsChangeStored(const Intent& intent, bool stored_as_asked, int64_t expected,
                                   int64_t stored_generation);

  RpcRunner rpc_;
  EventHub& events_;
  store::NetworkStore& networks_;
  store::ServiceChainStore& chain_records_;
  compute::NetworkUsage& usage_;
  const Managers managers_;
  const Limits limits_;
};

}  // namespace hvagent::api
