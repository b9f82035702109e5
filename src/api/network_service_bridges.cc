// NetworkService: OVS bridges and uplink bonds, over network::BridgeManager and
// network::BondManager. Changes to bridges and bonds are rare and touch each
// other (a bond needs its bridge), so one worker key serialises them all.
#include <fmt/ranges.h>

#include "hvagent/api/network_convert.h"
#include "hvagent/api/network_service.h"
#include "hvagent/common/names.h"
#include "hvagent/common/worker_keys.h"
#include "hvagent/network/bridge_chain.h"

namespace hvagent::api {

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateBridge(grpc::CallbackServerContext* context,
                                                           const v1::CreateBridgeRequest* request,
                                                           v1::Bridge* response) {
  Status valid = ValidateInterfaceName("name", request->name());
  auto datapath = DatapathName(request->datapath_type());
  valid.Update(datapath.status());
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kSwitch, valid,
      [this, request, response, type = datapath.value_or("")](Intent& intent) -> Status {
        auto made = managers_.bridges.Create(request->name(), type);
        if (intent.MadeBefore(made.status())) {
          made = managers_.bridges.Get(request->name());
        }
        HVAGENT_ASSIGN_OR_RETURN(const network::BridgeInfo info, std::move(made));
        BridgeToProto(info, response);
        PublishPortChange(info.name, info.name, "added");
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetBridge(grpc::CallbackServerContext* context,
                                                        const v1::GetBridgeRequest* request,
                                                        v1::Bridge* response) {
  return rpc_.ReadOne(
      context, ValidateInterfaceName("name", request->name()),
      [this, request] { return managers_.bridges.Get(request->name()); }, BridgeToProto, response);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListBridges(grpc::CallbackServerContext* context,
                                                          const v1::ListBridgesRequest* /*request*/,
                                                          v1::ListBridgesResponse* response) {
  return rpc_.ReadList(context, managers_.bridges, BridgeToProto, response,
                       &v1::ListBridgesResponse::add_bridges);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteBridge(grpc::CallbackServerContext* context,
                                                           const v1::DeleteBridgeRequest* request,
                                                           v1::DeleteBridgeResponse* response) {
  Status valid = ValidateInterfaceName("name", request->name());
  if (request->name() == network::kDefaultBridgeName) {
    // The agent makes br0 again whenever it goes (daemon.cc).
    valid.Update(absl::FailedPreconditionError(
        fmt::format("name: '{}' is the default bridge; it always exists", request->name())));
  } else if (network::IsChainBridge(request->name())) {
    // The agent keeps br0's chain whole (network/bridge_chain.h).
    valid.Update(absl::FailedPreconditionError(
        fmt::format("name: '{}' is part of {}'s bridge chain; it always exists", request->name(),
                    network::kDefaultBridgeName)));
  }
  return rpc_.Change(context, __func__, *request, response, worker_keys::kSwitch, valid,
                     [this, request]() -> Status {
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
                       HVAGENT_RETURN_IF_ERROR(managers_.bridges.Delete(request->name()));
                       PublishPortChange(request->name(), request->name(), "removed");
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateBond(grpc::CallbackServerContext* context,
                                                         const v1::CreateBondRequest* request,
                                                         v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  const std::string bridge =
      request->bridge().empty() ? network::kDefaultBridgeName : request->bridge();
  Status valid = ValidateInterfaceName("name", name);
  valid.Update(ValidateInterfaceName("bridge", bridge));
  auto spec = BondSpecFromProto(request->spec());
  valid.Update(spec.status());
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kSwitch, valid,
      [this, response, name, bridge, spec = std::move(spec)](Intent& intent) -> Status {
        auto made = managers_.bonds.Create(name, bridge, *spec);
        if (intent.MadeBefore(made.status())) made = managers_.bonds.Get(name);
        HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status, std::move(made));
        BondToProto(status, response);
        PublishPortChange(bridge, name, "added");
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetBond(grpc::CallbackServerContext* context,
                                                      const v1::GetBondRequest* request,
                                                      v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  return rpc_.ReadOne(
      context, ValidateInterfaceName("name", name),
      [this, name] { return managers_.bonds.Get(name); }, BondToProto, response);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListBonds(grpc::CallbackServerContext* context,
                                                        const v1::ListBondsRequest* /*request*/,
                                                        v1::ListBondsResponse* response) {
  return rpc_.ReadList(context, managers_.bonds, BondToProto, response,
                       &v1::ListBondsResponse::add_bonds);
}

grpc::ServerUnaryReactor* NetworkServiceImpl::UpdateBond(grpc::CallbackServerContext* context,
                                                         const v1::UpdateBondRequest* request,
                                                         v1::Bond* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  Status valid = ValidateInterfaceName("name", name);
  auto spec = BondSpecFromProto(request->spec());
  valid.Update(spec.status());
  return rpc_.Change(context, __func__, *request, response, worker_keys::kSwitch, valid,
                     [this, response, name, spec = std::move(spec)]() -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status,
                                                managers_.bonds.Update(name, *spec));
                       BondToProto(status, response);
                       PublishPortChange(status.bridge, name, "updated");
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteBond(grpc::CallbackServerContext* context,
                                                         const v1::DeleteBondRequest* request,
                                                         v1::DeleteBondResponse* response) {
  const std::string name = request->name().empty() ? network::kDefaultBondName : request->name();
  return rpc_.Change(context, __func__, *request, response, worker_keys::kSwitch,
                     ValidateInterfaceName("name", name), [this, name]() -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(const network::BondStatus status,
                                                managers_.bonds.Get(name));
                       HVAGENT_RETURN_IF_ERROR(managers_.bonds.Delete(name));
                       PublishPortChange(status.bridge, name, "removed");
                       return absl::OkStatus();
                     });
}

}  // namespace hvagent::api
