// NetworkService: networks, named VLANs on a bridge kept in the local store.
// Network changes are rare: one worker key serialises them, so the count
// checked against the limit cannot race another create.
#include "hvagent/api/network_service.h"

#include "hvagent/common/names.h"
#include "hvagent/common/unix_clock.h"
#include "hvagent/common/uuid.h"
#include "hvagent/common/worker_keys.h"
#include "hvagent/network/bridge_chain.h"

namespace hvagent::api {

namespace {

void ToProto(const store::NetworkRecord& record, v1::Network* out) {
  out->set_name(record.name);
  out->set_uuid(record.uuid);
  out->set_bridge(record.bridge);
  out->set_vlan_id(record.vlan_id);
  out->set_generation(record.generation);
}

void ToProto(const store::NetworkRecord& record, const std::map<std::string, uint32_t>& nic_counts,
             v1::Network* out) {
  ToProto(record, out);
  if (const auto it = nic_counts.find(record.name); it != nic_counts.end()) {
    out->set_nic_count(it->second);
  }
}

}  // namespace

void NetworkServiceImpl::PublishNetworkChange(const std::string& name, const std::string& change,
                                              uint32_t vlan_id) {
  v1::Event event = NewEvent(v1::EVENT_KIND_NETWORK, name);
  auto* network = event.mutable_network();
  network->set_network(name);
  network->set_change(change);
  network->set_vlan_id(vlan_id);
  events_.Publish(std::move(event));
}

void NetworkServiceImpl::PublishPortChange(const std::string& bridge, const std::string& port,
                                           const std::string& change) {
  v1::Event event = NewEvent(v1::EVENT_KIND_PORT, port);
  auto* p = event.mutable_port();
  p->set_bridge(bridge);
  p->set_port(port);
  p->set_change(change);
  events_.Publish(std::move(event));
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateNetwork(grpc::CallbackServerContext* context,
                                                            const v1::CreateNetworkRequest* request,
                                                            v1::Network* response) {
  const std::string bridge =
      request->bridge().empty() ? std::string(network::kDefaultBridgeName) : request->bridge();
  Status valid = ValidateResourceName("name", request->name());
  valid.Update(ValidateInterfaceName("bridge", bridge));
  if (network::IsChainBridge(bridge)) {
    // A network names its uplink bridge; where its NICs' taps go follows
    // from their type (br0.local behind the chain, br0 direct).
    valid.Update(absl::InvalidArgumentError(fmt::format(
        "bridge: '{}' is inside {}'s bridge chain; a network names the uplink bridge {}", bridge,
        network::kDefaultBridgeName, network::kDefaultBridgeName)));
  }
  valid.Update(ValidateVlanId("vlan_id", request->vlan_id(), /*allow_untagged=*/true));
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kNetworks, valid,
      [this, request, response, bridge](Intent& intent) -> Status {
        HVAGENT_ASSIGN_OR_RETURN(const std::string uuid, intent.Generate("uuid", NewUuid));
        if (intent.resuming()) {
          // The cut-short call's network is the one with the UUID it generated.
          auto made = networks_.Get(request->name());
          if (made.ok() && made->uuid == uuid) {
            ToProto(*made, response);
            return absl::OkStatus();
          }
        }
        HVAGENT_ASSIGN_OR_RETURN(const int64_t count, networks_.Count());
        if (count >= limits_.max_networks) {
          return absl::ResourceExhaustedError(
              fmt::format("networks per host: at most {} (limits.max_networks); {} exist",
                          limits_.max_networks, count));
        }
        HVAGENT_ASSIGN_OR_RETURN(const bool bridge_exists, managers_.bridges.Exists(bridge));
        if (!bridge_exists) {
          return absl::FailedPreconditionError(
              fmt::format("bridge: '{}' does not exist on this host", bridge));
        }
        store::NetworkRecord record{.name = request->name(),
                                    .uuid = uuid,
                                    .bridge = bridge,
                                    .vlan_id = request->vlan_id(),
                                    .created_unix_ms = NowUnixMs()};
        HVAGENT_RETURN_IF_ERROR(networks_.Insert(record));
        return AnswerChangedNetwork(record.name, "created", response);
      });
}

Status NetworkServiceImpl::AnswerChangedNetwork(const std::string& name, const std::string& change,
                                                v1::Network* response) {
  HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record, networks_.Get(name));
  ToProto(record, response);
  PublishNetworkChange(record.name, change, record.vlan_id);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetNetwork(grpc::CallbackServerContext* context,
                                                         const v1::GetNetworkRequest* request,
                                                         v1::Network* response) {
  return rpc_.Read(context, ValidateResourceName("name", request->name()),
                   [this, request, response]() -> Status {
                     HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record,
                                              networks_.Get(request->name()));
                     HVAGENT_ASSIGN_OR_RETURN(const auto nic_counts, usage_.NicCounts());
                     ToProto(record, nic_counts, response);
                     return absl::OkStatus();
                   });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListNetworks(grpc::CallbackServerContext* context,
                                                           const v1::ListNetworksRequest* request,
                                                           v1::ListNetworksResponse* response) {
  return rpc_.Read(context, ValidatePage(request->page().page_size(), request->page().page_token()),
                   [this, request, response]() -> Status {
                     HVAGENT_ASSIGN_OR_RETURN(const auto records, networks_.List());
                     HVAGENT_ASSIGN_OR_RETURN(const auto nic_counts, usage_.NicCounts());
                     response->mutable_page()->set_next_page_token(Paginate(
                         records, request->page().page_size(), request->page().page_token(),
                         [](const store::NetworkRecord& r) -> const std::string& { return r.name; },
                         [&](const store::NetworkRecord& r) {
                           ToProto(r, nic_counts, response->add_networks());
                         }));
                     return absl::OkStatus();
                   });
}

bool NetworkServiceImpl::FindsItsChangeStored(const Intent& intent, bool stored_as_asked,
                                              int64_t expected, int64_t stored_generation) {
  return intent.resuming() && stored_as_asked &&
         (expected == 0 || stored_generation == expected + 1);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::UpdateNetwork(grpc::CallbackServerContext* context,
                                                            const v1::UpdateNetworkRequest* request,
                                                            v1::Network* response) {
  Status valid = ValidateResourceName("name", request->name());
  valid.Update(ValidateVlanId("vlan_id", request->vlan_id(), /*allow_untagged=*/true));
  valid.Update(ValidateExpectedGeneration(request->expected_generation()));
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kNetworks, valid,
      [this, request, response](Intent& intent) -> Status {
        HVAGENT_ASSIGN_OR_RETURN(store::NetworkRecord record, networks_.Get(request->name()));
        if (FindsItsChangeStored(intent, record.vlan_id == request->vlan_id(),
                                 request->expected_generation(), record.generation)) {
          return AnswerChangedNetwork(record.name, "updated", response);
        }
        const int64_t expected = request->expected_generation() != 0
                                     ? request->expected_generation()
                                     : record.generation;
        // NICs carry their VLAN in their VM's definition and port: re-tagging
        // a network in use is refused.
        const bool retag = record.vlan_id != request->vlan_id();
        record.vlan_id = request->vlan_id();
        auto update = [&] { return networks_.Update(record, expected); };
        HVAGENT_RETURN_IF_ERROR(
            retag ? usage_.ChangeIfUnused(record.name, "change its VLAN", update) : update());
        return AnswerChangedNetwork(record.name, "updated", response);
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteNetwork(grpc::CallbackServerContext* context,
                                                            const v1::DeleteNetworkRequest* request,
                                                            v1::DeleteNetworkResponse* response) {
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kNetworks,
      ValidateResourceName("name", request->name()), [this, request]() -> Status {
        HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record, networks_.Get(request->name()));
        HVAGENT_RETURN_IF_ERROR(CheckNoChainUses(record.name));
        HVAGENT_RETURN_IF_ERROR(usage_.ChangeIfUnused(
            record.name, "be deleted", [&] { return networks_.Delete(request->name()); }));
        PublishNetworkChange(record.name, "deleted", record.vlan_id);
        return absl::OkStatus();
      });
}

}  // namespace hvagent::api
