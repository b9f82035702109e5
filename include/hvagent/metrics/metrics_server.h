// The HTTP endpoint Prometheus scrapes (GET /metrics), over prometheus-cpp's
// Exposer. Plain, unauthenticated HTTP: hence loopback by default
// (metrics.listen, metrics.allow_remote in the daemon's config).
#pragma once

#include <memory>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/metrics/metrics.h"

namespace prometheus {
class Exposer;
}

namespace hvagent::metrics {

class MetricsServer {
 public:
  // Listens on `listen` (HOST:PORT or [IPv6]:PORT; port 0 picks a free one).
  // UNAVAILABLE if it cannot listen. `metrics` must outlive the server.
  static StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                        const Metrics& metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (the chosen one when asked for 0).
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace hvagent::metrics
