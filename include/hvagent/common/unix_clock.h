// The wall clock as the store and the API record it: milliseconds since the
// Unix epoch (one spelling of a chrono expression every module needs).
#pragma once

#include <chrono>
#include <cstdint>

namespace hvagent {

inline int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hvagent
