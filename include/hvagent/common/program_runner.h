// Runs a helper program (qemu-img and the like) from an argument vector: no
// shell ever sees request data, and a hung program is killed at a deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent {

struct ProgramResult {
  int exit_code = 0;
  // stdout and stderr, interleaved as written (bounded to 64 KiB).
  std::string output;
};

// argv[0] is an absolute path. UNAVAILABLE when it cannot be started,
// DEADLINE_EXCEEDED (after killing it) when it outlives `timeout`. A non-zero
// exit is not an error here: the caller knows what the code means.
StatusOr<ProgramResult> RunProgram(const std::vector<std::string>& argv,
                                   std::chrono::milliseconds timeout);

}  // namespace hvagent
