#pragma once

#include <string>

namespace hvagent {

// strerror's text for `err`, thread-safely (strerror itself is not).
std::string ErrnoMessage(int err);

}  // namespace hvagent
