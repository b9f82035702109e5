// The one check VmService runs before an action on a VM that may be protected
// (today: the Controller VM, see ControllerVmManager). Migration uses it too,
// through VmServiceImpl's single call site for every guarded method.
#pragma once

#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::compute {

// Who asked to override a VM's protection, and why.
struct ProtectionOverride {
  bool force = false;
  std::string reason;
};

class VmActionGuard {
 public:
  virtual ~VmActionGuard() = default;
  // `action` is the VmService method name ("PowerOff", "DeleteVm",
  // "MigrateVm"...). OK when the action may go ahead (or was forced, which
  // the guard logs and publishes); else FAILED_PRECONDITION naming the VM and
  // why, with nothing changed.
  virtual Status CheckVmAction(std::string_view vm_name, std::string_view action,
                               const ProtectionOverride& override) const = 0;
};

}  // namespace hvagent::compute
