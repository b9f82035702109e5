#include "hvagent/api/host_service.h"

#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <array>

#include "hvagent/api/unary_call.h"
#include "hvagent/common/version.h"

namespace hvagent::api {

namespace {

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::string KernelHostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "";
  return std::string(buf.data());
}

}  // namespace

void BackendToProto(const host::BackendStatus& status, v1::Backend* out) {
  out->set_endpoint(status.endpoint);
  out->set_state(status.connected ? v1::BACKEND_STATE_CONNECTED : v1::BACKEND_STATE_UNREACHABLE);
  out->set_version(status.version);
  out->set_last_error(status.last_error);
  *out->mutable_since() = ToTimestamp(status.since);
}

grpc::ServerUnaryReactor* HostServiceImpl::GetHost(grpc::CallbackServerContext* context,
                                                   const v1::GetHostRequest* /*request*/,
                                                   v1::Host* response) {
  // Reads the monitor's snapshot only: never blocks the reactor on a backend.
  response->set_hostname(KernelHostname());
  response->set_agent_version(std::string(kAgentVersion));
  BackendToProto(monitor_.Status("libvirt"), response->mutable_libvirt());
  BackendToProto(monitor_.Status("ovsdb"), response->mutable_ovsdb());
  response->set_physical_cores(facts_.physical_cores);
  response->set_memory_bytes(facts_.memory_bytes);
  *response->mutable_agent_started() = ToTimestamp(started_);
  if (auto chosen = domain_types_.Current()) {
    response->set_domain_type(chosen->type == compute::DomainType::kKvm ? "kvm" : "qemu");
    response->set_domain_type_reason(chosen->reason);
  }
  response->set_controller_vm_state(cvm_.HealthState());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* HostServiceImpl::GetConfigurationMaximums(
    grpc::CallbackServerContext* context, const v1::GetConfigurationMaximumsRequest* /*request*/,
    v1::ConfigurationMaximums* response) {
  response->set_vcpus_per_vm(maximums_.vcpus_per_vm);
  response->set_memory_bytes_per_vm(maximums_.memory_bytes_per_vm);
  response->set_disk_bytes(maximums_.disk_bytes);
  response->set_nics_per_vm(maximums_.nics_per_vm);
  response->set_disks_per_vm(maximums_.disks_per_vm);
  for (const auto& limit : maximums_.all) {
    auto* m = response->add_all();
    m->set_name(limit.name);
    m->set_value(limit.value);
    m->set_source(limit.source);
  }
  return FinishNow(context, absl::OkStatus());
}

}  // namespace hvagent::api
