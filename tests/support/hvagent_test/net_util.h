// Small network helpers for tests.
#pragma once

namespace hvagent::testing {

// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice
// for port 0); 0 if none could be had. Another process may take it before
// the caller binds: callers that can, retry.
int FreePort();

}  // namespace hvagent::testing
