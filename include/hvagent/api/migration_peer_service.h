// MigrationPeerService: the destination's side of a migration, called by the
// source's agent (GrpcMigrationPeer) and answered by compute::VmArrivals.
#pragma once

#include <functional>
#include <string_view>

#include "hvagent/api/rpc_runner.h"
#include "hvagent/compute/vm_arrivals.h"
#include "hvagent/v1/migration_peer.grpc.pb.h"

namespace hvagent::api {

class MigrationPeerServiceImpl final : public v1::MigrationPeerService::CallbackService {
 public:
  MigrationPeerServiceImpl(RpcWorkers workers, RequestReplay& replay, const AccessPolicy& access,
                           compute::VmArrivals& arrivals)
      : rpc_(v1::MigrationPeerService::service_full_name(), workers, replay, access),
        arrivals_(arrivals) {}

  grpc::ServerUnaryReactor* CheckIncomingMigration(
      grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
      v1::IncomingMigrationResponse* response) override;
  grpc::ServerUnaryReactor* PrepareIncomingMigration(
      grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
      v1::IncomingMigrationResponse* response) override;
  grpc::ServerUnaryReactor* AbortIncomingMigration(
      grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
      v1::IncomingMigrationResponse* response) override;
  grpc::ServerUnaryReactor* FinishIncomingMigration(
      grpc::CallbackServerContext* context, const v1::IncomingMigrationRequest* request,
      v1::IncomingMigrationResponse* response) override;

 private:
  // Prepare, Abort and Finish: a change under the arriving VM's worker key,
  // once the request's XML and name are checked; `act` fills `response`.
  grpc::ServerUnaryReactor* ChangeArrival(grpc::CallbackServerContext* context,
                                          std::string_view method,
                                          const v1::IncomingMigrationRequest* request,
                                          v1::IncomingMigrationResponse* response,
                                          const std::function<Status()>& act);

  RpcRunner rpc_;
  compute::VmArrivals& arrivals_;
};

}  // namespace hvagent::api
