// host.get, host.maximums and health.
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
  table.Add({.name = "health",
             .summary = "Whether the agent serves (exit code 3 when NOT_SERVING)",
             .keys = {KeySpec::String("service",
                                      "one service, e.g. hvagent.v1.VmService (default: overall)")},
             .run = Health});
}

}  // namespace hvagent::cli
