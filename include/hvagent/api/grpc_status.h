// The one place where the project's Status becomes a grpc::Status.
#pragma once

#include <grpcpp/support/status.h>

#include "hvagent/common/status.h"

namespace hvagent::api {

// absl::StatusCode values equal google.rpc.Code values, which gRPC uses too.
grpc::Status ToGrpcStatus(const Status& status);

}  // namespace hvagent::api
