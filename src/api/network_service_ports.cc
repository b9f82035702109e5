// NetworkService: internal ports, VXLAN tunnels, mirrors and the internal
// Linux bridge (virbr0), over the network module's managers.
#include "hvagent/api/network_convert.h"
#include "hvagent/api/network_service.h"

#include "hvagent/common/names.h"
#include "hvagent/common/worker_keys.h"

namespace hvagent::api {
namespace {

// A create whose spec is whole before it runs: made through `manager` (or
// found made by this request's cut-short attempt), then answered.
template <typename Manager, typename Spec, typename Proto>
Status MakeAndAnswer(Intent& intent, Manager& manager, const Spec& spec,
                     void (*to_proto)(const Spec&, Proto*), Proto* response) {
  const Status made = manager.Create(spec);
  if (!intent.MadeBefore(made)) HVAGENT_RETURN_IF_ERROR(made);
  to_proto(spec, response);
  return absl::OkStatus();
}

}  // namespace

template <typename Request, typename Response, typename Ports>
grpc::ServerUnaryReactor* NetworkServiceImpl::DeletePort(grpc::CallbackServerContext* context,
                                                         std::string_view method,
                                                         const Request* request, Response* response,
                                                         Ports& ports) {
  return rpc_.Change(context, method, *request, response, worker_keys::Port(request->name()),
                     ValidateInterfaceName("name", request->name()),
                     [this, request, &ports]() -> Status {
                       HVAGENT_RETURN_IF_ERROR(ports.Delete(request->name()));
                       PublishPortChange("", request->name(), "removed");
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateInternalPort(
    grpc::CallbackServerContext* context, const v1::CreateInternalPortRequest* request,
    v1::InternalPort* response) {
  Status valid = ValidateInterfaceName("name", request->name());
  valid.Update(ValidateResourceName("network", request->network()));
  if (!request->address().empty()) {
    valid.Update(network::ParseIpv4Prefix("address", request->address()).status());
  }
  return rpc_.Change(context, __func__, *request, response, worker_keys::Port(request->name()),
                     valid, [this, request, response](Intent& intent) -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord network,
                                                networks_.Get(request->network()));
                       const network::InternalPortSpec spec{.name = request->name(),
                                                            .bridge = network.bridge,
                                                            .vlan_id = network.vlan_id,
                                                            .network = network.name,
                                                            .address = request->address()};
                       HVAGENT_RETURN_IF_ERROR(MakeAndAnswer(intent, managers_.internal_ports, spec,
                                                             InternalPortToProto, response));
                       PublishPortChange(spec.bridge, spec.name, "added");
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListInternalPorts(
    grpc::CallbackServerContext* context, const v1::ListInternalPortsRequest* /*request*/,
    v1::ListInternalPortsResponse* response) {
  return rpc_.ReadList(context, managers_.internal_ports, InternalPortToProto, response,
                       &v1::ListInternalPortsResponse::add_ports);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteInternalPort(
    grpc::CallbackServerContext* context, const v1::DeleteInternalPortRequest* request,
    v1::DeleteInternalPortResponse* response) {
  return DeletePort(context, __func__, request, response, managers_.internal_ports);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateTunnel(grpc::CallbackServerContext* context,
                                                           const v1::CreateTunnelRequest* request,
                                                           v1::Tunnel* response) {
  const network::TunnelSpec spec = TunnelFromProto(request->tunnel());
  return rpc_.Change(context, __func__, *request, response, worker_keys::Port(spec.name),
                     network::ValidateTunnelSpec(spec),
                     [this, response, spec](Intent& intent) -> Status {
                       HVAGENT_RETURN_IF_ERROR(
                           MakeAndAnswer(intent, managers_.tunnels, spec, TunnelToProto, response));
                       PublishPortChange(spec.bridge, spec.name, "added");
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListTunnels(grpc::CallbackServerContext* context,
                                                          const v1::ListTunnelsRequest* /*request*/,
                                                          v1::ListTunnelsResponse* response) {
  return rpc_.ReadList(context, managers_.tunnels, TunnelToProto, response,
                       &v1::ListTunnelsResponse::add_tunnels);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteTunnel(grpc::CallbackServerContext* context,
                                                           const v1::DeleteTunnelRequest* request,
                                                           v1::DeleteTunnelResponse* response) {
  return DeletePort(context, __func__, request, response, managers_.tunnels);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateMirror(grpc::CallbackServerContext* context,
                                                           const v1::CreateMirrorRequest* request,
                                                           v1::Mirror* response) {
  const network::MirrorSpec spec = MirrorFromProto(request->mirror());
  return rpc_.Change(context, __func__, *request, response, worker_keys::Mirror(spec.name),
                     network::ValidateMirrorSpec(spec), [this, response, spec](Intent& intent) {
                       return MakeAndAnswer(intent, managers_.mirrors, spec, MirrorToProto,
                                            response);
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListMirrors(grpc::CallbackServerContext* context,
                                                          const v1::ListMirrorsRequest* /*request*/,
                                                          v1::ListMirrorsResponse* response) {
  return rpc_.ReadList(context, managers_.mirrors, MirrorToProto, response,
                       &v1::ListMirrorsResponse::add_mirrors);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteMirror(grpc::CallbackServerContext* context,
                                                           const v1::DeleteMirrorRequest* request,
                                                           v1::DeleteMirrorResponse* response) {
  return rpc_.Change(context, __func__, *request, response, worker_keys::Mirror(request->name()),
                     ValidateResourceName("name", request->name()),
                     [this, request] { return managers_.mirrors.Delete(request->name()); });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetInternalNetwork(
    grpc::CallbackServerContext* context, const v1::GetInternalNetworkRequest* /*request*/,
    v1::InternalNetwork* response) {
  return rpc_.Read(context, absl::OkStatus(), [this, response]() -> Status {
    if (managers_.internal_bridge == nullptr) {
      return absl::FailedPreconditionError(
          "the internal bridge is not configured (network.internal_bridge)");
    }
    HVAGENT_ASSIGN_OR_RETURN(const network::LinuxBridgeState state,
                             network::LinuxBridge::Describe(*managers_.internal_bridge));
    response->set_bridge(state.name);
    response->set_subnet(state.subnet);
    response->set_host_address(state.host_address);
    for (const auto& port : state.ports) response->add_ports(port);
    return absl::OkStatus();
  });
}

}  // namespace hvagent::api
