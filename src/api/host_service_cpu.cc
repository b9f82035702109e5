// HostService's CPU methods: the host CPU report and the cluster baseline.
// Every one calls libvirt, so each runs on a worker (RpcRunner).
#include "hvagent/api/cpu_convert.h"
#include "hvagent/api/host_service.h"
#include "hvagent/common/worker_keys.h"

namespace hvagent::api {

grpc::ServerUnaryReactor* HostServiceImpl::GetHostCpu(grpc::CallbackServerContext* context,
                                                      const v1::GetHostCpuRequest* /*request*/,
                                                      v1::HostCpu* response) {
  return rpc_.ReadOne(
      context, absl::OkStatus(), [this] { return cpu_.HostCpu(); }, HostCpuToProto, response);
}

grpc::ServerUnaryReactor* HostServiceImpl::ComputeCpuBaseline(
    grpc::CallbackServerContext* context, const v1::ComputeCpuBaselineRequest* request,
    v1::CpuBaseline* response) {
  // The inputs are checked on the worker too (they may be 1024 XML
  // documents); only the count is cheap enough for the gRPC thread.
  Status valid;
  if (request->host_cpu_xmls_size() == 0 ||
      static_cast<size_t>(request->host_cpu_xmls_size()) > cpu::kMaxBaselineHosts) {
    valid = absl::InvalidArgumentError(
        fmt::format("host_cpu_xmls: needs 1 to {} host CPUs (has {})", cpu::kMaxBaselineHosts,
                    request->host_cpu_xmls_size()));
  }
  return rpc_.Read(context, valid, [this, request, response]() -> Status {
    const std::vector<std::string> xmls(request->host_cpu_xmls().begin(),
                                        request->host_cpu_xmls().end());
    HVAGENT_ASSIGN_OR_RETURN(const cpu::ComputedBaseline baseline, cpu_.Compute(xmls));
    ComputedBaselineToProto(baseline, response);
    // A baseline just computed is runnable here only if this host is one of
    // the inputs; say whether it is.
    HVAGENT_ASSIGN_OR_RETURN(const cpu::Runnability here, cpu_.RunnableHere(baseline.xml));
    response->set_supported_here(here.runnable);
    for (const std::string& f : here.missing_features) response->add_missing_features(f);
    response->set_vendor_mismatch(here.vendor_mismatch);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* HostServiceImpl::SetCpuBaseline(grpc::CallbackServerContext* context,
                                                          const v1::SetCpuBaselineRequest* request,
                                                          v1::CpuBaseline* response) {
  Status valid;
  if (request->libvirt_cpu_xml().empty()) {
    valid = absl::InvalidArgumentError(
        "libvirt_cpu_xml: required (a CpuBaseline.libvirt_cpu_xml from ComputeCpuBaseline)");
  }
  return rpc_.Change(context, __func__, *request, response, worker_keys::kCpuBaseline, valid,
                     [this, request, response]() -> Status {
                       HVAGENT_ASSIGN_OR_RETURN(const compute::CpuBaselineState state,
                                                cpu_.Set(request->libvirt_cpu_xml()));
                       BaselineStateToProto(state, response);
                       v1::Event event = NewEvent(v1::EVENT_KIND_CPU_BASELINE, state.cpu.model);
                       *event.mutable_cpu_baseline()->mutable_baseline() = *response;
                       events_.Publish(std::move(event));
                       return absl::OkStatus();
                     });
}

grpc::ServerUnaryReactor* HostServiceImpl::GetCpuBaseline(
    grpc::CallbackServerContext* context, const v1::GetCpuBaselineRequest* /*request*/,
    v1::CpuBaseline* response) {
  return rpc_.Read(context, absl::OkStatus(), [this, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const std::optional<compute::CpuBaselineState> state, cpu_.Get());
    if (!state) {
      return absl::NotFoundError("no CPU baseline is set on this host (SetCpuBaseline sets one)");
    }
    BaselineStateToProto(*state, response);
    return absl::OkStatus();
  });
}

}  // namespace hvagent::api
