#pragma once

#include <string>

namespace hvagent {

// A random (version 4) UUID in its canonical text form.
std::string NewUuid();

}  // namespace hvagent
