// The name rules every layer checks (api on input, compute before any XML,
// network before any OVSDB row), written once. Each returns INVALID_ARGUMENT
// naming the field and the rule, or OK.
#pragma once

#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent {

// VM, network and other resource names: 1–64 characters [A-Za-z0-9_.-],
// starting with a letter or digit.
Status ValidateResourceName(std::string_view field, std::string_view value);

// Linux interface names (bridges, ports, bonds, taps): 1–15 characters
// [A-Za-z0-9_.-], not "." or ".." (IFNAMSIZ is 16 with the NUL).
Status ValidateInterfaceName(std::string_view field, std::string_view value);

}  // namespace hvagent
