#include "hvagent/api/grpc_status.h"

#include <string>

namespace hvagent::api {

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) {
    return grpc::Status::OK;
  }
  return {static_cast<grpc::StatusCode>(status.code()), MessageOf(status)};
}

}  // namespace hvagent::api
