// One log line per RPC: method, peer, duration and status. Successes and
// callers' mistakes at debug; backend trouble at warning; agent faults at error.
#pragma once

#include <grpcpp/support/server_interceptor.h>

namespace hvagent::api {

class LoggingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace hvagent::api
