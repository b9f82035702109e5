// What the agent notes about a VM's current run, in the running domain's live
// metadata (its own namespace, apart from the persistent <metadata>): it lives
// exactly as long as the QEMU process, and survives agent restarts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::compute {

inline constexpr std::string_view kRuntimeNamespace = "https://hvagent.dev/xmlns/vm-runtime/1";
inline constexpr std::string_view kRuntimePrefix = "hvrun";

struct RuntimeMetadata {
  // When the agent started this run (PowerOn), ms since the epoch.
  int64_t started_unix_ms = 0;
};

std::string BuildRuntimeMetadataXml(const RuntimeMetadata& runtime);
// INVALID_ARGUMENT for an element that is not ours or is malformed.
StatusOr<RuntimeMetadata> ParseRuntimeMetadataXml(std::string_view xml);

}  // namespace hvagent::compute
