// NetworkService: OVS bridges and uplink bonds, over network::BridgeManager and
// network::BondManager. Changes to bridges and bonds are rare and touch each
// other (a bond needs its bridge), so one worker key serialises them all.
#include <fmt/ranges.h>

#include "hvagent/api/network_service.h"
#include "hvagent/api/unary_call.h"
#include "hvagent/api/validation.h"

namespace hvagent::api {

namespace {

constexpr const char* kSwitchKey = "switch";

v1::DatapathType ToProtoDatapath(const std::string& type) {
  if (type == "netdev") return v1::DATAPATH_TYPE_NETDEV;
  return v1::DATAPATH_TYPE_SYSTEM;
}

v1::PortKind ToProto(network::PortKind kind) {
  switch (kind) {
    case network::PortKind::kInternal: return v1::PORT_KIND_INTERNAL;
    case network::PortKind::kTap: return v1::PORT_KIND_TAP;
    case network::PortKind::kVxlan: return v1::PORT_KIND_VXLAN;
    case network::PortKind::kBond: return v1::PORT_KIND_BOND;
    case network::PortKind::kPatch: return v1::PORT_KIND_PATCH;
    case network::PortKind::kOther: return v1::PORT_KIND_OTHER;
  }
  return v1::PORT_KIND_OTHER;
}

void ToProto(const network::BridgeInfo& info, v1::Bridge* out) {
  out->set_name(info.name);
  out->set_datapath_type(ToProtoDatapath(info.datapath_type));
  out->set_agent_owned(info.agent_owned);
  for (const auto& p : info.ports) {
    auto* port = out->add_ports();
    port->set_name(p.name);
    port->set_kind(ToProto(p.kind));
    port->set_tag(p.tag);
    for (const uint32_t t : p.trunks) port->add_trunks(t);
    port->set_agent_owned(p.agent_owned);
  }
}

void ToProto(const network::BondStatus& status, v1::Bond* out) {
  out->set_name(status.name);
  out->set_bridge(status.bridge);
  auto* spec = out->mutable_spec();
  for (const auto& m : status.spec.members) spec->add_members(m);
  switch (status.spec.mode) {
    case network::BondMode::kActiveBackup: spec->set_mode(v1::BOND_MODE_ACTIVE_BACKUP); break;
    case network::BondMode::kBalanceSlb: spec->set_mode(v1::BOND_MODE_BALANCE_SLB); break;
    case network::BondMode::kBalanceTcp: spec->set_mode(v1::BOND_MODE_BALANCE_TCP); break;
  }
  switch (status.spec.lacp) {
    case network::LacpMode::kOff: spec->set_lacp(v1::LACP_MODE_OFF); break;
    case network::LacpMode::kActive: spec->set_lacp(v1::LACP_MODE_ACTIVE); break;
    case network::LacpMode::kPassive: spec->set_lacp(v1::LACP_MODE_PASSIVE); break;
  }
  spec->set_lacp_time(status.spec.lacp_time == network::LacpTime::kFast ? v1::LACP_TIME_FAST
                                                                        : v1::LACP_TIME_SLOW);
  spec->set_lacp_fallback_active_backup(status.spec.lacp_fallback_active_backup);
  spec->set_rebalance_interval_ms(status.spec.rebalance_interval_ms);
  for (const auto& m : status.members) {
    auto* member = out->add_members();
    member->set_name(m.name);
    member->set_enabled(m.enabled);
    member->set_carrier(m.carrier);
    member->set_active(m.active);
    member->set_lacp_state(m.lacp_state);
  }
  out->set_active_member(status.active_member);
  out->set_lacp_status(status.lacp_status);
}

// The proto spec as the network module's, refusing enum values this agent
// does not know (proto3 enums are open).
StatusOr<network::BondSpec> FromProto(const v1::BondSpec& in) {
  network::BondSpec spec{.members = {in.members().begin(), in.members().end()},
                         .lacp_fallback_active_backup = in.lacp_fallback_active_backup(),
                         .rebalance_interval_ms = in.rebalance_interval_ms()};
  switch (in.mode()) {
    case v1::BOND_MODE_UNSPECIFIED:
    case v1::BOND_MODE_ACTIVE_BACKUP: spec.mode = network::BondMode::kActiveBackup; break;
    case v1::BOND_MODE_BALANCE_SLB: spec.mode = network::BondMode::kBalanceSlb; break;
    case v1::BOND_MODE_BALANCE_TCP: spec.mode = network::BondMode::kBalanceTcp; break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("spec.mode: {} is not a bond mode this agent knows", in.mode()));
  }
  switch (in.lacp()) {
    case v1::LACP_MODE_UNSPECIFIED:
    case v1::LACP_MODE_OFF: spec.lacp = network::LacpMode::kOff; break;
    case v1::LACP_MODE_ACTIVE: spec.lacp = network::LacpMode::kActive; break;
    case v1::LACP_MODE_PASSIVE: spec.lacp = network::LacpMode::kPassive; break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("spec.lacp: {} is not an LACP mode this agent knows", in.lacp()));
  }
  switch (in.lacp_time()) {
    case v1::LACP_TIME_UNSPECIFIED:
    case v1::LACP_TIME_SLOW: spec.lacp_time = network::LacpTime::kSlow; break;
    case v1::LACP_TIME_FAST: spec.lacp_time = network::LacpTime::kFast; break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("spec.lacp_time: {} is not an LACP time this agent knows", in.lacp_time()));
  }
  HVAGENT_RETURN_IF_ERROR(network::ValidateBondSpec(spec));
  return spec;
}

StatusOr<std::string> DatapathName(v1::DatapathType type) {
  switch (type) {
    case v1::DATAPATH_TYPE_UNSPECIFIED: return std::string();
    case v1::DATAPATH_TYPE_SYSTEM: return std::string("system");
    case v1::DATAPATH_TYPE_NETDEV: return std::string("netdev");
    default:
      return absl::InvalidArgumentError(
          fmt::format("datapath_type: {} is not a datapath type this agent knows", type));
  }
}

Status NotAttached() {
  return absl::UnavailableError("bridges and bonds are not available in this agent yet");
}

}  // namespace

void NetworkServiceImpl::PublishPortChange(const std::string& bridge, const std::string& port,
                                           const std::string& change) {
  v1::Event event;
  event.set_kind(v1::EVENT_KIND_PORT);
  event.set_object_name(port);
  auto* p = event.mutable_port();
  p->set_bridge(bridge);
  p->set_port(port);
  p->set_change(change);
  events_.Publish(std::move(event));
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateBridge(grpc::CallbackServerContext* context,
                                                           const v1::CreateBridgeRequest* request,
                                                           v1::Bridge* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", request->name()));
  auto datapath = DatapathName(request->datapath_type());
  valid.Update(datapath.status());
  if (!valid.ok()) return FinishNow(context, valid);
  if (bridges_ == nullptr) return FinishNow(context, NotAttached());

  return RunOnWorker(context, pool_, kSwitchKey, [this, request, response, type = *datapath] {
    return replay_.Run("/hvagent.v1.NetworkService/CreateBridge", request->request_id(), *request,
                       response, [&]() -> Status {
                         HVAGENT_ASSIGN_OR_RETURN(const network::BridgeInfo info,
                                                  bridges_->Create(request->name(), type));
                         ToProto(info, response);
                         PublishPortChange(info.name, info.name, "added");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetBridge(grpc::CallbackServerContext* context,
                                                        const v1::GetBridgeRequest* request,
                                                        v1::Bridge* response) {
  if (Status valid = ValidateInterfaceName("name", request->name()); !valid.ok()) {
    return FinishNow(context, valid);
  }
  if (bridges_ == nullptr) return FinishNow(context, NotAttached());
  return RunOnWorker(context, pool_, "", [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const network::BridgeInfo info, bridges_->Get(request->name()));
    ToProto(info, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListBridges(grpc::CallbackServerContext* context,
                                                          const v1::ListBridgesRequest* /*request*/,
                                                          v1::ListBridgesResponse* response) {
  if (bridges_ == nullptr) return FinishNow(context, NotAttached());
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const auto bridges, bridges_->List());
    for (const auto& info : bridges) ToProto(info, response->add_bridges());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteBridge(grpc::CallbackServerContext* context,
                                                           const v1::DeleteBridgeRequest* request,
                                                           v1::DeleteBridgeResponse* response) {
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", request->name()));
  if (request->name() == network::kDefaultBridgeName) {
    // The agent makes br0 again whenever it goes (daemon.cc).
    valid.Update(absl::FailedPreconditionError(
        fmt::format("name: '{}' is the default bridge; it always exists", request->name())));
  }
  if (!valid.ok()) return FinishNow(context, valid);
  if (bridges_ == nullptr) return FinishNow(context, NotAttached());

  return RunOnWorker(context, pool_, kSwitchKey, [this, request, response] {
    return replay_.Run("/hvagent.v1.NetworkService/DeleteBridge", request->request_id(), *request,
                       response, [&]() -> Status {
                         // Networks name their bridge: deleting it would strand them.
                         HVAGENT_ASSIGN_OR_RETURN(const auto records, networks_.List());
                         std::vector<std::string> users;
                         for (const auto& r : records) {
                           if (r.bridge == request->name()) users.push_back(r.name);
                         }
                         if (!users.empty()) {
                           return absl::FailedPreconditionError(fmt::format(
                               "name: bridge '{}' is used by networks ({}); delete them first",
                               request->name(), fmt::join(users, ", ")));
                         }
                         HVAGENT_RETURN_IF_ERROR(bridges_->Delete(request->name()));
                         PublishPortChange(request->name(), request->name(), "removed");
                         return absl::OkStatus();
                       });
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateBond(grpc::CallbackServerContext* context,
                                                         const v1::CreateBondRequest* request,
                                                         v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  const std::string bridge =
      request->bridge().empty() ? network::kDefaultBridgeName : request->bridge();
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", name));
  valid.Update(ValidateInterfaceName("bridge", bridge));
  auto spec = FromProto(request->spec());
  valid.Update(spec.status());
  if (!valid.ok()) return FinishNow(context, valid);
  if (bonds_ == nullptr) return FinishNow(context, NotAttached());

  return RunOnWorker(
      context, pool_, kSwitchKey, [this, request, response, name, bridge, spec = *std::move(spec)] {
        return replay_.Run("/hvagent.v1.NetworkService/CreateBond", request->request_id(), *request,
                           response, [&]() -> Status {
                             HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status,
                                                      bonds_->Create(name, bridge, spec));
                             ToProto(status, response);
                             PublishPortChange(bridge, name, "added");
                             return absl::OkStatus();
                           });
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetBond(grpc::CallbackServerContext* context,
                                                      const v1::GetBondRequest* request,
                                                      v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  if (Status valid = ValidateInterfaceName("name", name); !valid.ok()) {
    return FinishNow(context, valid);
  }
  if (bonds_ == nullptr) return FinishNow(context, NotAttached());
  return RunOnWorker(context, pool_, "", [this, name, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status, bonds_->Get(name));
    ToProto(status, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListBonds(grpc::CallbackServerContext* context,
                                                        const v1::ListBondsRequest* /*request*/,
                                                        v1::ListBondsResponse* response) {
  if (bonds_ == nullptr) return FinishNow(context, NotAttached());
  return RunOnWorker(context, pool_, "", [this, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const auto bonds, bonds_->List());
    for (const auto& status : bonds) ToProto(status, response->add_bonds());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::UpdateBond(grpc::CallbackServerContext* context,
                                                         const v1::UpdateBondRequest* request,
                                                         v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", name));
  auto spec = FromProto(request->spec());
  valid.Update(spec.status());
  if (!valid.ok()) return FinishNow(context, valid);
  if (bonds_ == nullptr) return FinishNow(context, NotAttached());

  return RunOnWorker(
      context, pool_, kSwitchKey, [this, request, response, name, spec = *std::move(spec)] {
        return replay_.Run("/hvagent.v1.NetworkService/UpdateBond", request->request_id(), *request,
                           response, [&]() -> Status {
                             HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status,
                                                      bonds_->Update(name, spec));
                             ToProto(status, response);
                             PublishPortChange(status.bridge, name, "updated");
                             return absl::OkStatus();
                           });
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteBond(grpc::CallbackServerContext* context,
                                                         const v1::DeleteBondRequest* request,
                                                         v1::DeleteBondResponse* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  Status valid = ValidateRequestId(request->request_id());
  valid.Update(ValidateInterfaceName("name", name));
  if (!valid.ok()) return FinishNow(context, valid);
  if (bonds_ == nullptr) return FinishNow(context, NotAttached());

  return RunOnWorker(context, pool_, kSwitchKey, [this, request, response, name] {
    return replay_.Run("/hvagent.v1.NetworkService/DeleteBond", request->request_id(), *request,
                       response, [&]() -> Status {
                         HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status,
                                                  bonds_->Get(name));
                         HVAGENT_RETURN_IF_ERROR(bonds_->Delete(name));
                         PublishPortChange(status.bridge, name, "removed");
                         return absl::OkStatus();
                       });
  });
}

}  // namespace hvagent::api
