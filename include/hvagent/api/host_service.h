// HostService: the host's identity, its backends' state and its maximums.
// CPU baseline and CVM/PCI methods answer UNIMPLEMENTED until their issues land.
#pragma once

#include <chrono>

#include "hvagent/compute/domain_type_selector.h"
#include "hvagent/host/backend_monitor.h"
#include "hvagent/host/configuration_maximums.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace hvagent::api {

class HostServiceImpl final : public v1::HostService::CallbackService {
 public:
  HostServiceImpl(const host::BackendMonitor& monitor,
                  const compute::DomainTypeSelector& domain_types, host::HostFacts facts,
                  host::ConfigurationMaximums maximums)
      : monitor_(monitor),
        domain_types_(domain_types),
        facts_(facts),
        maximums_(std::move(maximums)),
        started_(std::chrono::system_clock::now()) {}

  grpc::ServerUnaryReactor* GetHost(grpc::CallbackServerContext* context,
                                    const v1::GetHostRequest* request, v1::Host* response) override;
  grpc::ServerUnaryReactor* GetConfigurationMaximums(
      grpc::CallbackServerContext* context, const v1::GetConfigurationMaximumsRequest* request,
      v1::ConfigurationMaximums* response) override;

 private:
  const host::BackendMonitor& monitor_;
  const compute::DomainTypeSelector& domain_types_;
  const host::HostFacts facts_;
  const host::ConfigurationMaximums maximums_;
  const std::chrono::system_clock::time_point started_;
};

// Fills a v1.Backend from the monitor's status (shared with EventService).
void BackendToProto(const host::BackendStatus& status, v1::Backend* out);

}  // namespace hvagent::api
