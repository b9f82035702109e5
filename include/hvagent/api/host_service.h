// HostService: the host's identity, its backends' state and its maximums;
// PCI discovery and the Controller VM (host_service_cvm.cc); the host CPU and
// the cluster CPU baseline (host_service_cpu.cc).
#pragma once

#include <chrono>

#include "hvagent/api/event_hub.h"
#include "hvagent/api/rpc_runner.h"
#include "hvagent/compute/controller_vm_manager.h"
#include "hvagent/compute/cpu_baseline_manager.h"
#include "hvagent/compute/domain_type_selector.h"
#include "hvagent/host/backend_monitor.h"
#include "hvagent/host/configuration_maximums.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace hvagent::api {

class HostServiceImpl final : public v1::HostService::CallbackService {
 public:
  HostServiceImpl(RpcWorkers workers, RequestReplay& replay, const AccessPolicy& access,
                  EventHub& events, const host::BackendMonitor& monitor,
                  const compute::DomainTypeSelector& domain_types, host::HostFacts facts,
                  host::ConfigurationMaximums maximums, compute::ControllerVmManager& cvm,
                  compute::CpuBaselineManager& cpu)
      : rpc_(v1::HostService::service_full_name(), workers, replay, access),
        events_(events),
        monitor_(monitor),
        domain_types_(domain_types),
        facts_(facts),
        maximums_(std::move(maximums)),
        started_(std::chrono::system_clock::now()),
        cvm_(cvm),
        cpu_(cpu) {}

  grpc::ServerUnaryReactor* GetHost(grpc::CallbackServerContext* context,
                                    const v1::GetHostRequest* request, v1::Host* response) override;
  grpc::ServerUnaryReactor* GetConfigurationMaximums(
      grpc::CallbackServerContext* context, const v1::GetConfigurationMaximumsRequest* request,
      v1::ConfigurationMaximums* response) override;

  grpc::ServerUnaryReactor* ListPciDevices(grpc::CallbackServerContext* context,
                                           const v1::ListPciDevicesRequest* request,
                                           v1::ListPciDevicesResponse* response) override;
  grpc::ServerUnaryReactor* GetControllerVm(grpc::CallbackServerContext* context,
                                            const v1::GetControllerVmRequest* request,
                                            v1::ControllerVm* response) override;
  grpc::ServerUnaryReactor* ConfigureControllerVm(grpc::CallbackServerContext* context,
                                                  const v1::ConfigureControllerVmRequest* request,
                                                  v1::ControllerVm* response) override;

  grpc::ServerUnaryReactor* GetHostCpu(grpc::CallbackServerContext* context,
                                       const v1::GetHostCpuRequest* request,
                                       v1::HostCpu* response) override;
  grpc::ServerUnaryReactor* ComputeCpuBaseline(grpc::CallbackServerContext* context,
                                               const v1::ComputeCpuBaselineRequest* request,
                                               v1::CpuBaseline* response) override;
  grpc::ServerUnaryReactor* SetCpuBaseline(grpc::CallbackServerContext* context,
                                           const v1::SetCpuBaselineRequest* request,
                                           v1::CpuBaseline* response) override;
  grpc::ServerUnaryReactor* GetCpuBaseline(grpc::CallbackServerContext* context,
                                           const v1::GetCpuBaselineRequest* request,
                                           v1::CpuBaseline* response) override;

 private:
  RpcRunner rpc_;
  EventHub& events_;
  const host::BackendMonitor& monitor_;
  const compute::DomainTypeSelector& domain_types_;
  const host::HostFacts facts_;
  const host::ConfigurationMaximums maximums_;
  const std::chrono::system_clock::time_point started_;
  compute::ControllerVmManager& cvm_;
  compute::CpuBaselineManager& cpu_;
};

// Fills a v1.Backend from the monitor's status (shared with EventService).
void BackendToProto(const host::BackendStatus& status, v1::Backend* out);

}  // namespace hvagent::api
