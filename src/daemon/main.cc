// hvagentd: the per-host hypervisor agent daemon.
#include "hvagent/daemon/hvagentd_main.h"

int main(int argc, char** argv) { return hvagent::daemon::HvagentdMain(argc, argv, {}); }
