// A backend the agent depends on (libvirtd, ovsdb-server), as the monitor sees
// it: something to (re)connect to and probe, answering with its version.
#pragma once

#include <memory>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/libvirt/connection_manager.h"

namespace hvagent::host {

class BackendProbe {
 public:
  virtual ~BackendProbe() = default;
  // "libvirt" or "ovsdb".
  virtual std::string name() const = 0;
  virtual std::string endpoint() const = 0;
  // Connects if needed and checks the backend answers; returns its version.
  // Called from the monitor thread only.
  virtual StatusOr<std::string> Probe() = 0;
};

// Probes through the agent's shared connection, so health reports the
// connection the agent's calls use.
std::unique_ptr<BackendProbe> MakeLibvirtProbe(libvirt::ConnectionManager& libvirt);

}  // namespace hvagent::host
