// Host network interfaces as the kernel has them: a link as Open vSwitch
// reports an Interface's link_state (its netdev carrier), and whether a name
// is taken.
#pragma once

#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent {

// True when `name` exists in this network namespace, is up and has a
// carrier (IFF_UP and IFF_RUNNING): for a tap, once QEMU holds it open.
bool InterfaceLinkUp(const std::string& name);

// True when this network namespace has an interface named `name`.
bool HostInterfaceExists(const std::string& name);

// FAILED_PRECONDITION naming `field` when the host already has an interface
// named `name` that is not Open vSwitch's own (its driver neither
// openvswitch nor tun): ovs-vswitchd would fail to make a bridge's or
// internal port's interface under it, and only log that.
Status CheckHostInterfaceFree(std::string_view field, const std::string& name);

}  // namespace hvagent
