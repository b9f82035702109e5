#include "hvagent/api/host_service.h"

#include "hvagent/common/version.h"

namespace hvagent::api {

grpc::ServerUnaryReactor* HostServiceImpl::GetHost(grpc::CallbackServerContext* context,
                                                   const hvagent::v1::GetHostRequest* /*request*/,
                                                   hvagent::v1::Host* response) {
  // Reads the monitor's snapshot only: never blocks the reactor on libvirt.
  const host::HostSnapshot snapshot = monitor_.Snapshot();
  response->set_hostname(snapshot.hostname);
  response->set_agent_version(std::string(kAgentVersion));
  auto* lv = response->mutable_libvirt();
  lv->set_endpoint(snapshot.libvirt.endpoint);
  lv->set_state(snapshot.libvirt.connected ? hvagent::v1::BACKEND_STATE_CONNECTED
                                           : hvagent::v1::BACKEND_STATE_UNREACHABLE);
  lv->set_version(snapshot.libvirt.version);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace hvagent::api
