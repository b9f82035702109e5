// The agent's Prometheus metrics: one object, owned by the daemon, no global
// registry. Event-driven families (RPCs, OVSDB transactions, libvirt calls)
// are fed through the narrow observer interfaces; families that describe
// state (VMs by state, ports by bridge, bonds, backends) are computed at
// scrape time from gauge sources, so they are never stale.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "hvagent/common/status.h"
#include "hvagent/metrics/libvirt_observer.h"
#include "hvagent/metrics/ovsdb_observer.h"
#include "hvagent/metrics/rpc_observer.h"

namespace hvagent::metrics {

enum class FamilyType { kGauge, kCounter, kHistogram };

// One value with its labels.
struct Sample {
  std::map<std::string, std::string> labels;
  // A gauge's or counter's value; a histogram's count.
  double value = 0;
  // Histograms only: cumulative counts per upper bound, ascending (+Inf is
  // `value`), and the sum of the observations.
  std::vector<std::pair<double, uint64_t>> buckets;
  double sum = 0;
};

// A family computed at scrape time (a gauge unless `type` says otherwise).
struct GaugeFamily {
  std::string name;
  std::string help;
  std::vector<Sample> samples;
  FamilyType type = FamilyType::kGauge;
};

// Called on every scrape (on the HTTP server's thread; may block briefly on a
// backend). An error leaves its families out of that scrape and sets
// hvagent_metrics_source_up{source} to 0.
using GaugeSource = std::function<StatusOr<std::vector<GaugeFamily>>()>;

class Metrics final : public RpcObserver, public OvsdbObserver, public LibvirtObserver {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void ObserveRpc(std::string_view method, std::string_view code,
                  std::chrono::nanoseconds took) override;
  void ObserveTransaction(std::chrono::nanoseconds took, size_t operations, bool ok) override;
  void ObserveLibvirtCall(std::string_view call, std::chrono::nanoseconds took, bool ok) override;

  // Adds a scrape-time source named `source` (a label value). Add sources
  // before the endpoint serves.
  void AddGaugeSource(std::string source, GaugeSource gauges);

  // What the HTTP endpoint exposes: the registry, then the scrape-time gauges.
  std::vector<std::weak_ptr<prometheus::Collectable>> Collectables() const;

  // The text exposition of everything, as a scrape would return it.
  std::string Serialize() const;

 private:
  class GaugeCollector;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<GaugeCollector> gauges_;
  prometheus::Family<prometheus::Counter>& rpc_total_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Family<prometheus::Counter>& ovsdb_total_;
  prometheus::Family<prometheus::Histogram>& ovsdb_seconds_;
  prometheus::Family<prometheus::Histogram>& ovsdb_operations_;
  prometheus::Family<prometheus::Histogram>& libvirt_seconds_;
};

}  // namespace hvagent::metrics
