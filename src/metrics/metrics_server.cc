#include "hvagent/metrics/metrics_server.h"

#include <exception>

#include <prometheus/exposer.h>

namespace hvagent::metrics {

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port)
    : exposer_(std::move(exposer)), port_(port) {}

MetricsServer::~MetricsServer() = default;

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                              const Metrics& metrics) {
  std::unique_ptr<prometheus::Exposer> exposer;
  // prometheus-cpp (civetweb) reports a failed bind by throwing.
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        fmt::format("cannot serve metrics on metrics.listen '{}': {}", listen, e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(
        fmt::format("cannot serve metrics on metrics.listen '{}': no listening port", listen));
  }
  for (const auto& collectable : metrics.Collectables()) {
    exposer->RegisterCollectable(collectable);
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), ports.front()));
}

}  // namespace hvagent::metrics
