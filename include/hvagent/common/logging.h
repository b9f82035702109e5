// Process-wide logging set-up over spdlog: the journal under systemd, else
// stderr. Components log through spdlog's default logger.
#pragma once

#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent {

// Parses "trace", "debug", "info", "warn", "error", "critical" or "off".
StatusOr<int> ParseLogLevel(std::string_view name);

// Installs the default logger (stderr, with timestamps unless under systemd,
// whose journal adds its own) at `level` (a value from ParseLogLevel).
void ConfigureLogging(int level);

// Changes the level of the default logger, e.g. on SIGHUP.
void SetLogLevel(int level);

}  // namespace hvagent
