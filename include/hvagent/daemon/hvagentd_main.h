// hvagentd's main: its flags and config file, then the daemon until a
// shutdown signal. A library function so that a test program can run the
// same daemon on a recorded sysfs tree (PciAccess).
#pragma once

#include "hvagent/daemon/pci_access.h"

namespace hvagent::daemon {

// Call first thing in main(), before any thread starts. The exit code.
int HvagentdMain(int argc, char** argv, const PciAccess& pci);

}  // namespace hvagent::daemon
