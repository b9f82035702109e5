// hvagentd's process: builds the gRPC server and the backends from a Config,
// serves until SIGTERM/SIGINT, reloads what it can on SIGHUP.
#pragma once

#include <string>

#include "hvagent/common/status.h"
#include "hvagent/daemon/config.h"
#include "hvagent/daemon/pci_access.h"

namespace hvagent::daemon {

// Ignores SIGPIPE; blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every
// thread started after): Daemon::Run takes them with sigwait. Call first thing
// in main().
void BlockShutdownSignals();

class Daemon {
 public:
  // `config_path` is re-read on SIGHUP; empty when there is none.
  Daemon(Config config, std::string config_path, PciAccess pci = {})
      : config_(std::move(config)), config_path_(std::move(config_path)), pci_(std::move(pci)) {}

  // Serves until a shutdown signal; returns an error if start-up fails.
  Status Run();

 private:
  void Reload();
  // Takes SIGHUP (reload) until SIGTERM or SIGINT.
  void WaitForShutdown();

  Config config_;
  std::string config_path_;
  PciAccess pci_;
};

}  // namespace hvagent::daemon
