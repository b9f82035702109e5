// Request bytes that do not decode as the method's request message: gRPC's
// callback handlers answer them UNIMPLEMENTED with no message. This
// interceptor, first in the chain, answers INVALID_ARGUMENT naming the
// message type instead, so a caller can tell a bad request from a missing
// method (and logs and metrics see that status).
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace hvagent::api {

class UndecodableRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace hvagent::api
