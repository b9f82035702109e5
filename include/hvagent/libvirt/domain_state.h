// A domain's state as libvirt names it, apart from the domain handle: code
// that only reads states (VM status, metrics, the compute module's hypervisor
// interface) needs no libvirt C headers.
#pragma once

#include <string_view>

namespace hvagent::libvirt {

// libvirt's virDomainState, named.
enum class DomainState {
  kNoState,
  kRunning,
  kBlocked,
  kPaused,
  kShuttingDown,
  kShutOff,
  kCrashed,
  kSuspended,
};

std::string_view DomainStateName(DomainState state);

}  // namespace hvagent::libvirt
