// hvctl's command table: every OBJECT.VERB the CLI knows, grouped by object.
// Each group lives in its own file (src/cli/<object>_commands.cc); a new
// command is one more CommandSpec there.
#pragma once

#include "hvagent/cli/command_spec.h"

namespace hvagent::cli {

void AddHostCommands(CommandTable& table);          // host.*, health
void AddNetCommands(CommandTable& table);           // net.*
void AddVmCommands(CommandTable& table);            // vm.* (power, NICs, disks)
void AddSwitchCommands(CommandTable& table);        // bridge.*, bond.*, tunnel.*, mirror.*
void AddChainCommands(CommandTable& table);         // chain.*
void AddEventCommands(CommandTable& table);         // events.watch
void AddPciCommands(CommandTable& table);           // host.pci_list (with host.*)
void AddControllerVmCommands(CommandTable& table);  // cvm.*

// The whole table.
CommandTable BuildCommandTable();

}  // namespace hvagent::cli
