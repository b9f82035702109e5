#include "hvagent/api/rpc_runner.h"

#include "hvagent/common/worker_keys.h"

namespace hvagent::api {

RpcRunner::RpcRunner(std::string_view service, RpcWorkers workers, RequestReplay& replay,
                     const AccessPolicy& access)
    : service_name_(service),
      service_(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service))),
      workers_(workers),
      replay_(replay),
      access_(access) {}

StatusOr<std::string> RpcRunner::MethodPath(std::string_view method) const {
  const google::protobuf::MethodDescriptor* found =
      service_ != nullptr ? service_->FindMethodByName(std::string(method)) : nullptr;
  if (found == nullptr) {
    return absl::InternalError(fmt::format("{} has no method '{}'", service_name_, method));
  }
  return fmt::format("/{}/{}", service_->full_name(), found->name());
}

grpc::ServerUnaryReactor* RpcRunner::Read(grpc::CallbackServerContext* context, const Status& valid,
                                          std::function<Status()> read) {
  if (!valid.ok()) return FinishNow(context, valid);
  return RunOnWorker(context, workers_.reads, "", std::move(read));
}

grpc::ServerUnaryReactor* RpcRunner::RunChange(
    grpc::CallbackServerContext* context, std::string_view method, const std::string& request_id,
    const google::protobuf::Message& request, google::protobuf::Message* response,
    std::string_view key, const Status& valid, RequestReplay::Act act) {
  auto path = MethodPath(method);
  if (!path.ok()) return FinishNow(context, path.status());
  // Who asks comes before what is asked: a read-only client learns nothing
  // about its request's validity.
  if (Status allowed = access_.CheckChange(IdentityOf(*context), *path); !allowed.ok()) {
    return FinishNow(context, allowed);
  }
  if (!valid.ok()) return FinishNow(context, valid);
  WorkerPool& pool = workers_.port_changes != nullptr && worker_keys::IsPort(key)
                         ? *workers_.port_changes
                         : workers_.changes;
  return RunOnWorker(
      context, pool, std::string(key),
      [this, path = *std::move(path), &request_id, &request, response, act = std::move(act)] {
        return replay_.Run(path, request_id, request, response, act);
      });
}

}  // namespace hvagent::api
