// host.get, host.maximums, the host CPU and the cluster CPU baseline, and health (PCI and the
// Controller VM: cvm_commands.cc).
#include <fstream>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/host.grpc.pb.h"

namespace hvagent::cli {
namespace {

using v1::HostService;

int HostGet(Invocation& inv) {
  return CallAndShow(inv, &HostService::Stub::GetHost, v1::GetHostRequest{});
}

int HostMaximums(Invocation& inv) {
  return CallAndShow(inv, &HostService::Stub::GetConfigurationMaximums,
                     v1::GetConfigurationMaximumsRequest{});
}

int HostCpu(Invocation& inv) {
  return CallAndShow(inv, &HostService::Stub::GetHostCpu, v1::GetHostCpuRequest{});
}

int CpuBaselineGet(Invocation& inv) {
  return CallAndShow(inv, &HostService::Stub::GetCpuBaseline, v1::GetCpuBaselineRequest{});
}

// The whole of `path` into `out`; false when it cannot be read.
bool ReadWhole(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

int CpuBaselineCompute(Invocation& inv) {
  v1::ComputeCpuBaselineRequest request;
  for (const std::string& path : inv.args().StringList("host_cpu_files")) {
    if (!ReadWhole(path, request.add_host_cpu_xmls())) {
      return inv.UsageError(fmt::format("host_cpu_files: cannot read '{}'", path));
    }
  }
  return CallAndShow(inv, &HostService::Stub::ComputeCpuBaseline, request);
}

int CpuBaselineSet(Invocation& inv) {
  v1::SetCpuBaselineRequest request;
  request.set_request_id(inv.NewRequestId());
  const std::string path = inv.args().String("file");
  if (!ReadWhole(path, request.mutable_libvirt_cpu_xml())) {
    return inv.UsageError(fmt::format("file: cannot read '{}'", path));
  }
  return CallAndShow(inv, &HostService::Stub::SetCpuBaseline, request);
}

int Health(Invocation& inv) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(inv.args().String("service"));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = inv.Call(&grpc::health::v1::Health::Stub::Check, request, &response);
  if (!status.ok()) return inv.Fail(status);
  inv.out().Object(response);
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                             : kExitNotServing;
}

}  // namespace

void AddHostCommands(CommandTable& table) {
  table.Add({.name = "host.get",
             .summary = "Show the host and the state of the agent's backends (libvirtd, OVSDB)",
             .run = HostGet});
  table.Add({.name = "host.maximums",
             .summary = "Show the configuration maximums the agent enforces, with their sources",
             .run = HostMaximums});
  AddPciCommands(table);
  table.Add({.name = "host.cpu",
             .summary = "Show the host CPU: what the hypervisor offers guests (host-model, with "
                        "its libvirt CPU XML), the raw CPU facts and the named models usable here",
             .run = HostCpu});
  table.Add({.name = "host.cpu_baseline_get",
             .summary = "Show the cluster CPU baseline this host holds its VMs to (NOT_FOUND "
                        "when none is set)",
             .run = CpuBaselineGet});
  table.Add(
      {.name = "host.cpu_baseline_compute",
       .summary = "Compute the CPU baseline of hosts from their CPU XML (host.cpu's "
                  "libvirt_cpu_xml, one file per host), with which host is lowest and what "
                  "each gives up; changes nothing",
       .keys = {KeySpec::StringList("host_cpu_files", "files holding each host's libvirt CPU XML")
                    .Required()},
       .run = CpuBaselineCompute});
  table.Add({.name = "host.cpu_baseline_set",
             .summary = "Set the CPU baseline (a libvirt_cpu_xml from host.cpu_baseline_compute) "
                        "that VMs get at their next create or power-on; refused naming the "
                        "features when this host cannot run it",
             .keys = {KeySpec::String("file", "a file holding the baseline's libvirt CPU XML")
                          .Required()},
             .run = CpuBaselineSet});
  table.Add({.name = "health",
             .summary = "Whether the agent serves (exit code 3 when NOT_SERVING)",
             .keys = {KeySpec::String("service",
                                      "one service, e.g. hvagent.v1.VmService (default: overall)")},
             .run = Health});
}

}  // namespace hvagent::cli
