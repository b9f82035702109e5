// HostService: the host's identity and its backends' state.
#pragma once

#include "hvagent/host/backend_monitor.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace hvagent::api {

class HostServiceImpl final : public hvagent::v1::HostService::CallbackService {
 public:
  explicit HostServiceImpl(const host::BackendMonitor& monitor) : monitor_(monitor) {}

  grpc::ServerUnaryReactor* GetHost(grpc::CallbackServerContext* context,
                                    const hvagent::v1::GetHostRequest* request,
                                    hvagent::v1::Host* response) override;

 private:
  const host::BackendMonitor& monitor_;
};

}  // namespace hvagent::api
