// What the gRPC layer reports about each finished call. A narrow interface so
// the API layer knows nothing of Prometheus; Metrics implements it.
#pragma once

#include <chrono>
#include <string_view>

namespace hvagent::metrics {

class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  // `method` is gRPC's full name ("/hvagent.v1.VmService/CreateVm"), `code`
  // the status code's name ("OK", "NOT_FOUND").
  virtual void ObserveRpc(std::string_view method, std::string_view code,
                          std::chrono::nanoseconds took) = 0;
};

}  // namespace hvagent::metrics
