// MigrationPeerService: Check is a read; Prepare, Abort and Finish change the
// host, so they go through RpcRunner::Change (the access policy: a read-only
// identity is refused) under the VM's worker key.
#include "hvagent/api/migration_peer_service.h"

#include "hvagent/common/names.h"
#include "hvagent/common/worker_keys.h"

namespace hvagent::api {

namespace {
Status CheckXml(const v1::IncomingMigrationRequest& request) {
  if (request.domain_xml().empty()) return absl::InvalidArgumentError("domain_xml: is required");
  return ValidateResourceName("vm_name", request.vm_name());
}
}  // namespace

grpc::ServerUnaryReactor* MigrationPeerServiceImpl::ChangeArrival(
    grpc::CallbackServerContext* context, std::string_view method,
    const v1::IncomingMigrationRequest* request, v1::IncomingMigrationResponse* response,
    const std::function<Status()>& act) {
  return rpc_.Change(context, method, *request, response, worker_keys::Vm(request->vm_name()),
                     CheckXml(*request), act);
}

grpc::ServerUnaryReactor* MigrationPeerServiceImpl::CheckIncomingMigration(
    grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
    v1::IncomingMigrationResponse* /*response*/) {
  return rpc_.Read(context, CheckXml(*request), [this, request] {
    return arrivals_.Check(request->domain_xml(), request->live());
  });
}

grpc::ServerUnaryReactor* MigrationPeerServiceImpl::PrepareIncomingMigration(
    grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
    v1::IncomingMigrationResponse* response) {
  return ChangeArrival(context, __func__, request, response,
                       [this, request] { return arrivals_.Prepare(request->domain_xml()); });
}

grpc::ServerUnaryReactor* MigrationPeerServiceImpl::AbortIncomingMigration(
    grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
    v1::IncomingMigrationResponse* response) {
  return ChangeArrival(context, __func__, request, response,
                       [this, request] { return arrivals_.Abort(request->domain_xml()); });
}

grpc::ServerUnaryReactor* MigrationPeerServiceImpl::FinishIncomingMigration(
    grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
    v1::IncomingMigrationResponse* response) {
  return ChangeArrival(context, __func__, request, response, [this, request, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const compute::MigrationJob job,
                             arrivals_.Finish(request->domain_xml()));
    response->set_downtime_ms(job.downtime_ms);
    response->set_data_total_bytes(job.data_total);
    return absl::OkStatus();
  });
}

}  // namespace hvagent::api
