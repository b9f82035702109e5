// NetworkService: internal ports, VXLAN tunnels, mirrors and the internal
// Linux bridge (virbr0), over the network module's managers.
#include "hvagent/api/network_service.h"

#include "hvagent/api/unary_call.h"
#include "hvagent/api/validation.h"

namespace hvagent::api {

namespace {

constexpr const char* kDefaultBridge = "br0";

Status NotAttached() { return absl::UnavailableError("the port managers are not ready yet"); }

void ToProto(const network::InternalPortSpec& spec, v1::InternalPort* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  out->set_network(spec.network);
  out->set_address(spec.address);
  out->set_vlan_id(spec.vlan_id);
}

network::TunnelSpec FromProto(const v1::Tunnel& tunnel) {
  return {.name = tunnel.name(),
          .bridge = tunnel.bridge().empty() ? kDefaultBridge : tunnel.bridge(),
          .remote_ip = tunnel.remote_ip(),
          .vni = tunnel.vni(),
          .local_ip = tunnel.local_ip(),
          .dst_port = tunnel.dst_port()};
}

void ToProto(const network::TunnelSpec& spec, v1::Tunnel* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  out->set_remote_ip(spec.remote_ip);
  out->set_vni(spec.vni);
  out->set_dst_port(spec.dst_port);
  out->set_local_ip(spec.local_ip);
}

network::MirrorSpec FromProto(const v1::Mirror& mirror) {
  return {.name = mirror.name(),
          .bridge = mirror.bridge().empty() ? kDefaultBridge : mirror.bridge(),
          .select_src_ports = {mirror.select_src_ports().begin(), mirror.select_src_ports().end()},
          .select_dst_ports = {mirror.select_dst_ports().begin(), mirror.select_dst_ports().end()},
          .select_vlans = {mirror.select_vlans().begin(), mirror.select_vlans().end()},
          .select_all = mirror.select_all(),
          .output_port = mirror.output_port()};
}

void ToProto(const network::MirrorSpec& spec, v1::Mirror* out) {
  out->set_name(spec.name);
  out->set_bridge(spec.bridge);
  for (const auto& p : spec.select_src_ports) out->add_select_src_ports(p);
  for (const auto& p : spec.select_dst_ports) out->add_select_dst_ports(p);
  for (const uint32_t v : spec.select_vlans) out->add_select_vlans(v);
  out->set_select_all(spec.select_all);
  out->set_output_port(spec.output_port);
}

// Ports and tunnels share the Port table's names: one key serialises changes
// to one name whatever its kind.
std::string PortKey(const std::string& name) { return "port:" + name; }

}  // namespace

void NetworkServiceImpl::PublishPortEvent(const std::string& bridge, const std::string& port,
                                          const std::string& change) {
  v1::Event event;
  event.set_kind(v1::EVENT_KIND_PORT);
  event.set_object_name(port);
  auto* e = event.mutable_port();
  e->set_bridge(bridge);
  e->set_port(port);
  e->set_change(change);
  events_.Publish(std::move(event));
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateInternalPort(
    grpc::CallbackServerContext* context, const v1::CreateInternalPortRequest* request,
    v1::InternalPort* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", request->name()));
  valid.Update(ValidateResourceName("network", request->network()));
  if (!request->address().empty()) {
    valid.Update(network::ParseIpv4Prefix("address", request->address()).status());
  }
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, PortKey(request->name()), [this, request, response] {
    return replay_.Run("/hvagent.v1.NetworkService/CreateInternalPort", request->request_id(),
                       *request, response, [&]() -> Status {
                         if (ports_.internal_ports == nullptr) return NotAttached();
                         HVAGENT_ASSIGN_OR_RETURN(const store::NetworkRecord network,
                                                  networks_.Get(request->network()));
                         const network::InternalPortSpec spec{.name = request->name(),
                                                              .bridge = network.bridge,
                                                              .vlan_id = network.vlan_id,
                                                              .network = network.name,
                                                              .address = request->address()};
                         HVAGENT_RETURN_IF_ERROR(ports_.internal_ports->Create(spec));
                         ToProto(spec, response);
                         PublishPortEvent(spec.bridge, spec.name, "added");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListInternalPorts(
    grpc::CallbackServerContext* context, const v1::ListInternalPortsRequest* /*request*/,
    v1::ListInternalPortsResponse* response) {
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    if (ports_.internal_ports == nullptr) return NotAttached();
    HVAGENT_ASSIGN_OR_RETURN(const auto ports, ports_.internal_ports->List());
    for (const auto& port : ports) ToProto(port, response->add_ports());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteInternalPort(
    grpc::CallbackServerContext* context, const v1::DeleteInternalPortRequest* request,
    v1::DeleteInternalPortResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, PortKey(request->name()), [this, request, response] {
    return replay_.Run("/hvagent.v1.NetworkService/DeleteInternalPort", request->request_id(),
                       *request, response, [&]() -> Status {
                         if (ports_.internal_ports == nullptr) return NotAttached();
                         HVAGENT_RETURN_IF_ERROR(ports_.internal_ports->Delete(request->name()));
                         PublishPortEvent("", request->name(), "removed");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateTunnel(grpc::CallbackServerContext* context,
                                                           const v1::CreateTunnelRequest* request,
                                                           v1::Tunnel* response) {
  const network::TunnelSpec spec = FromProto(request->tunnel());
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(network::ValidateTunnelSpec(spec));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, PortKey(spec.name), [this, request, response, spec] {
    return replay_.Run("/hvagent.v1.NetworkService/CreateTunnel", request->request_id(), *request,
                       response, [&]() -> Status {
                         if (ports_.tunnels == nullptr) return NotAttached();
                         HVAGENT_RETURN_IF_ERROR(ports_.tunnels->Create(spec));
                         ToProto(spec, response);
                         PublishPortEvent(spec.bridge, spec.name, "added");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListTunnels(grpc::CallbackServerContext* context,
                                                          const v1::ListTunnelsRequest* /*request*/,
                                                          v1::ListTunnelsResponse* response) {
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    if (ports_.tunnels == nullptr) return NotAttached();
    HVAGENT_ASSIGN_OR_RETURN(const auto tunnels, ports_.tunnels->List());
    for (const auto& tunnel : tunnels) ToProto(tunnel, response->add_tunnels());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteTunnel(grpc::CallbackServerContext* context,
                                                           const v1::DeleteTunnelRequest* request,
                                                           v1::DeleteTunnelResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, PortKey(request->name()), [this, request, response] {
    return replay_.Run("/hvagent.v1.NetworkService/DeleteTunnel", request->request_id(), *request,
                       response, [&]() -> Status {
                         if (ports_.tunnels == nullptr) return NotAttached();
                         HVAGENT_RETURN_IF_ERROR(ports_.tunnels->Delete(request->name()));
                         PublishPortEvent("", request->name(), "removed");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateMirror(grpc::CallbackServerContext* context,
                                                           const v1::CreateMirrorRequest* request,
                                                           v1::Mirror* response) {
  const network::MirrorSpec spec = FromProto(request->mirror());
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(network::ValidateMirrorSpec(spec));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, "mirror:" + spec.name, [this, request, response, spec] {
    return replay_.Run("/hvagent.v1.NetworkService/CreateMirror", request->request_id(), *request,
                       response, [&]() -> Status {
                         if (ports_.mirrors == nullptr) return NotAttached();
                         HVAGENT_RETURN_IF_ERROR(ports_.mirrors->Create(spec));
                         ToProto(spec, response);
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListMirrors(grpc::CallbackServerContext* context,
                                                          const v1::ListMirrorsRequest* /*request*/,
                                                          v1::ListMirrorsResponse* response) {
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    if (ports_.mirrors == nullptr) return NotAttached();
    HVAGENT_ASSIGN_OR_RETURN(const auto mirrors, ports_.mirrors->List());
    for (const auto& mirror : mirrors) ToProto(mirror, response->add_mirrors());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteMirror(grpc::CallbackServerContext* context,
                                                           const v1::DeleteMirrorRequest* request,
                                                           v1::DeleteMirrorResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateResourceName("name", request->name()));
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, pool_, "mirror:" + request->name(), [this, request, response] {
    return replay_.Run("/hvagent.v1.NetworkService/DeleteMirror", request->request_id(), *request,
                       response, [&]() -> Status {
                         if (ports_.mirrors == nullptr) return NotAttached();
                         return ports_.mirrors->Delete(request->name());
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetInternalNetwork(
    grpc::CallbackServerContext* context, const v1::GetInternalNetworkRequest* /*request*/,
    v1::InternalNetwork* response) {
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    if (ports_.internal_bridge == nullptr) {
      return absl::FailedPreconditionError(
          "the internal bridge is not configured (network.internal_bridge)");
    }
    HVAGENT_ASSIGN_OR_RETURN(const network::LinuxBridgeState state,
                             network::LinuxBridge::Describe(*ports_.internal_bridge));
    response->set_bridge(state.name);
    response->set_subnet(state.subnet);
    response->set_host_address(state.host_address);
    for (const auto& port : state.ports) response->add_ports(port);
    return absl::OkStatus();
  });
}

}  // namespace hvagent::api
