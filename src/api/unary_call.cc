#include "hvagent/api/unary_call.h"

#include <grpcpp/server_context.h>

#include <exception>

#include "hvagent/api/grpc_status.h"
#include "spdlog/spdlog.h"

namespace hvagent::api {

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* RunOnWorker(grpc::CallbackServerContext* context, WorkerPool& pool,
                                      const std::string& key, std::function<Status()> work) {
  auto* reactor = context->DefaultReactor();
  Status queued = pool.Submit(key, [context, reactor, work = std::move(work)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
      return;
    }
    Status status;
    try {
      status = work();
    } catch (const std::exception& e) {
      spdlog::error("unexpected exception: {}", e.what());
      status = absl::InternalError(fmt::format("internal error: {}", e.what()));
    } catch (...) {
      status = absl::InternalError("internal error");
    }
    reactor->Finish(ToGrpcStatus(status));
  });
  if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  return reactor;
}

}  // namespace hvagent::api
