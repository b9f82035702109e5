// How every unary RPC runs: validation on the gRPC thread (cheap, never
// blocks), the work on the agent's worker pool under the object's key (so two
// changes to one object are serialised), and the status mapped to gRPC once.
#pragma once

#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/common/worker_pool.h"

namespace grpc {
class CallbackServerContext;
}  // namespace grpc

namespace hvagent::api {

// Finishes the call at once with `status` (e.g. a validation error).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context, const Status& status);

// Runs `work` on `pool` under `key` and finishes the call with its result. An
// exception escaping `work` becomes INTERNAL; a call cancelled before its turn
// is finished as CANCELLED without running.
grpc::ServerUnaryReactor* RunOnWorker(grpc::CallbackServerContext* context, WorkerPool& pool,
                                      const std::string& key, std::function<Status()> work);

}  // namespace hvagent::api
