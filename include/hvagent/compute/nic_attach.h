// A VM's NICs attached together. Each NIC's port is an OVSDB transaction that
// waits for ovs-vswitchd to reconfigure its bridge, which costs more the more
// ports the bridge has: one NIC after another, a VM would wait for each.
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/compute/nic_backend.h"
#include "hvagent/compute/vm_config.h"

namespace hvagent::compute {

// Attaches every NIC of the VM (`vm_name`, `vm_uuid`) at once, each but the
// first on a thread of its own, and returns when all are done. When any fails,
// every one of them is detached again (a detach that fails is logged), and the
// first failure in NIC order is returned, naming that NIC's MAC.
Status AttachNics(NicBackend& backend, const std::string& vm_name, const std::string& vm_uuid,
                  const std::vector<NicConfig>& nics);

// Detaches every NIC of the VM `vm_name` (OK for one that is not there); one
// that stays is logged with `why` they went.
void DetachNics(NicBackend& backend, const std::string& vm_name, const std::vector<NicConfig>& nics,
                const Status& why);

}  // namespace hvagent::compute
