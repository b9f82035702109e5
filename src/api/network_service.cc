#include "hvagent/api/network_service.h"

#include <chrono>

#include "hvagent/api/unary_call.h"
#include "hvagent/api/validation.h"
#include "hvagent/common/uuid.h"

namespace hvagent::api {

namespace {

constexpr const char* kDefaultBridge = "br0";
// Network changes are rare: one key serialises them, so the count checked
// against the limit cannot race with another create.
constexpr const char* kNetworksKey = "networks";

void ToProto(const store::NetworkRecord& record, v1::Network* out) {
  out->set_name(record.name);
  out->set_uuid(record.uuid);
  out->set_bridge(record.bridge);
  out->set_vlan_id(record.vlan_id);
  out->set_generation(record.generation);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void NetworkServiceImpl::PublishChange(const std::string& name, const std::string& change,
                                       uint32_t vlan_id) {
  v1::Event event;
  event.set_kind(v1::EVENT_KIND_NETWORK);
  event.set_object_name(name);
  auto* network = event.mutable_network();
  network->set_network(name);
  network->set_change(change);
  network->set_vlan_id(vlan_id);
  events_.Publish(std::move(event));
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateNetwork(grpc::CallbackServerContext* context,
                                                            const v1::CreateNetworkRequest* request,
                                                            v1::Network* response) {
  const std::string bridge = request->bridge().empty() ? kDefaultBridge : request->bridge();
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  valid.Update(ValidateInterfaceName("bridge", bridge));
  valid.Update(ValidateVlanId("vlan_id", request->vlan_id(), /*allow_untagged=*/true));
  if (!valid.ok()) return FinishNow(context, valid);

  return RunOnWorker(context, pool_, kNetworksKey, [this, request, response, bridge] {
    return replay_.Run("/hvagent.v1.NetworkService/CreateNetwork", request->request_id(), *request,
                       response, [&]() -> Status {
                         HVAGENT_ASSIGN_OR_RETURN(const int64_t count, networks_.Count());
                         if (count >= limits_.max_networks) {
                           return absl::ResourceExhaustedError(fmt::format(
                               "networks per host: at most {} (limits.max_networks); {} exist",
                               limits_.max_networks, count));
                         }
                         HVAGENT_ASSIGN_OR_RETURN(const bool bridge_exists,
                                                  ovsdb_.RowExists("Bridge", "name", bridge));
                         if (!bridge_exists) {
                           return absl::FailedPreconditionError(
                               fmt::format("bridge: '{}' does not exist on this host", bridge));
                         }
                         store::NetworkRecord record{.name = request->name(),
                                                     .uuid = NewUuid(),
                                                     .bridge = bridge,
                                                     .vlan_id = request->vlan_id(),
                                                     .created_unix_ms = NowMillis()};
                         HVAGENT_RETURN_IF_ERROR(networks_.Insert(record));
                         HVAGENT_ASSIGN_OR_RETURN(record, networks_.Get(record.name));
                         ToProto(record, response);
                         PublishChange(record.name, "created", record.vlan_id);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetNetwork(grpc::CallbackServerContext* context,
                                                         const v1::GetNetworkRequest* request,
                                                         v1::Network* response) {
  if (Status valid = ValidateResourceName("name", request->name()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record, networks_.Get(request->name()));
    HVAGENT_ASSIGN_OR_RETURN(const auto nic_counts, usage_.NicCounts());
    ToProto(record, response);
    if (const auto it = nic_counts.find(record.name); it != nic_counts.end()) {
      response->set_nic_count(it->second);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListNetworks(grpc::CallbackServerContext* context,
                                                           const v1::ListNetworksRequest* request,
                                                           v1::ListNetworksResponse* response) {
  if (Status valid = ValidatePageSize(request->page().page_size()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const auto records, networks_.List());
    HVAGENT_ASSIGN_OR_RETURN(const auto nic_counts, usage_.NicCounts());
    const uint32_t page_size = request->page().page_size() == 0 ? 100 : request->page().page_size();
    // The token is the last name of the previous page: names are unique and sorted.
    const std::string& after = request->page().page_token();
    for (const auto& record : records) {
      if (!after.empty() && record.name <= after) continue;
      if (static_cast<uint32_t>(response->networks_size()) == page_size) {
        response->mutable_page()->set_next_page_token(
            response->networks(response->networks_size() - 1).name());
        break;
      }
      v1::Network* shown = response->add_networks();
      ToProto(record, shown);
      if (const auto it = nic_counts.find(record.name); it != nic_counts.end()) {
        shown->set_nic_count(it->second);
      }
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::UpdateNetwork(grpc::CallbackServerContext* context,
                                                            const v1::UpdateNetworkRequest* request,
                                                            v1::Network* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  valid.Update(ValidateVlanId("vlan_id", request->vlan_id(), /*allow_untagged=*/true));
  if (request->expected_generation() < 0) {
    valid.Update(
        absl::InvalidArgumentError("expected_generation: must be 0 (no check) or positive"));
  }
  if (!valid.ok()) return FinishNow(context, valid);

  return RunOnWorker(context, pool_, kNetworksKey, [this, request, response] {
    return replay_.Run(
        "/hvagent.v1.NetworkService/UpdateNetwork", request->request_id(), *request, response,
        [&]() -> Status {
          HVAGENT_ASSIGN_OR_RETURN(store::NetworkRecord record, networks_.Get(request->name()));
          const int64_t expected = request->expected_generation() != 0
                                       ? request->expected_generation()
                                       : record.generation;
          // NICs carry their VLAN in their VM's definition and
          // port: re-tagging a network in use is refused.
          const bool retag = record.vlan_id != request->vlan_id();
          record.vlan_id = request->vlan_id();
          auto update = [&] { return networks_.Update(record, expected); };
          HVAGENT_RETURN_IF_ERROR(
              retag ? usage_.ChangeIfUnused(record.name, "change its VLAN", update) : update());
          HVAGENT_ASSIGN_OR_RETURN(record, networks_.Get(record.name));
          ToProto(record, response);
          PublishChange(record.name, "updated", record.vlan_id);
          return absl::OkStatus();
        });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteNetwork(grpc::CallbackServerContext* context,
                                                            const v1::DeleteNetworkRequest* request,
                                                            v1::DeleteNetworkResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);

  return RunOnWorker(context, pool_, kNetworksKey, [this, request, response] {
    return replay_.Run(
        "/hvagent.v1.NetworkService/DeleteNetwork", request->request_id(), *request, response,
        [&]() -> Status {
          HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord record,
                                   networks_.Get(request->name()));
          HVAGENT_RETURN_IF_ERROR(usage_.ChangeIfUnused(
              record.name, "be deleted", [&] { return networks_.Delete(request->name()); }));
          PublishChange(record.name, "deleted", record.vlan_id);
          return absl::OkStatus();
        });
  });
}

}  // namespace hvagent::api
