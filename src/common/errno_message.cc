#include "hvagent/common/errno_message.h"

#include <array>
#include <cstring>

namespace hvagent {

std::string ErrnoMessage(int err) {
  std::array<char, 256> buf{};
  // glibc's strerror_r (GNU flavour) returns the message, maybe not in buf.
  return strerror_r(err, buf.data(), buf.size());
}

}  // namespace hvagent
