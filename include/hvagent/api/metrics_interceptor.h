// Reports every finished RPC (method, status code, latency) to a
// metrics::RpcObserver; next to LoggingInterceptor, which logs the same calls.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "hvagent/metrics/rpc_observer.h"

namespace hvagent::api {

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `observer` must outlive the server.
  explicit MetricsInterceptorFactory(metrics::RpcObserver& observer) : observer_(observer) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  metrics::RpcObserver& observer_;
};

// gRPC's name of `code` ("OK", "NOT_FOUND"), as Prometheus labels carry it.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace hvagent::api
