// Tab completion for the interactive shell, kept pure so it can be tested:
// command names first, then the command's keys not given yet ("vlan_mode="),
// then, after '=', the key's enum spellings or true/false.
#pragma once

#include <string>
#include <vector>

#include "hvagent/cli/command_spec.h"

namespace hvagent::cli {

// The completions of `word`, given the words before it on the line.
std::vector<std::string> CompletionCandidates(const CommandTable& table,
                                              const std::vector<std::string>& before,
                                              const std::string& word);

}  // namespace hvagent::cli
