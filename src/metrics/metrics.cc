#include "hvagent/metrics/metrics.h"

#include <limits>
#include <mutex>
#include <utility>

#include <prometheus/text_serializer.h>

#include "hvagent/common/version.h"

namespace hvagent::metrics {

namespace {

using prometheus::Histogram;

double Seconds(std::chrono::nanoseconds took) {
  return std::chrono::duration<double>(took).count();
}

// Calls to the agent and to libvirt: a millisecond to a minute.
const Histogram::BucketBoundaries& CallBuckets() {
  static const Histogram::BucketBoundaries kBuckets{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

// OVSDB transactions: a local unix socket, usually well under a millisecond.
const Histogram::BucketBoundaries& OvsdbBuckets() {
  static const Histogram::BucketBoundaries kBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return kBuckets;
}

const Histogram::BucketBoundaries& CountBuckets() {
  static const Histogram::BucketBoundaries kBuckets{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
  return kBuckets;
}

const char* Result(bool ok) { return ok ? "ok" : "error"; }

prometheus::MetricType TypeOf(FamilyType type) {
  switch (type) {
    case FamilyType::kCounter: return prometheus::MetricType::Counter;
    case FamilyType::kHistogram: return prometheus::MetricType::Histogram;
    case FamilyType::kGauge: break;
  }
  return prometheus::MetricType::Gauge;
}

prometheus::ClientMetric ToClientMetric(FamilyType type, const Sample& sample) {
  prometheus::ClientMetric metric;
  for (const auto& [key, value] : sample.labels) metric.label.push_back({key, value});
  switch (type) {
    case FamilyType::kGauge: metric.gauge.value = sample.value; break;
    case FamilyType::kCounter: metric.counter.value = sample.value; break;
    case FamilyType::kHistogram:
      metric.histogram.sample_count = static_cast<uint64_t>(sample.value);
      metric.histogram.sample_sum = sample.sum;
      for (const auto& [bound, count] : sample.buckets) {
        metric.histogram.bucket.push_back({.cumulative_count = count, .upper_bound = bound});
      }
      metric.histogram.bucket.push_back({.cumulative_count = metric.histogram.sample_count,
                                         .upper_bound = std::numeric_limits<double>::infinity()});
      break;
  }
  return metric;
}

}  // namespace

// The scrape-time families, plus hvagent_metrics_source_up and build info.
class Metrics::GaugeCollector final : public prometheus::Collectable {
 public:
  void Add(std::string source, GaugeSource gauges) {
    std::lock_guard lock(mu_);
    sources_.emplace_back(std::move(source), std::move(gauges));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<std::pair<std::string, GaugeSource>> sources;
    {
      std::lock_guard lock(mu_);
      sources = sources_;
    }
    std::vector<prometheus::MetricFamily> out;
    prometheus::MetricFamily build{.name = "hvagent_build_info",
                                   .help = "The agent's version; always 1.",
                                   .type = prometheus::MetricType::Gauge,
                                   .metric = {}};
    prometheus::ClientMetric info;
    info.label.push_back({"version", std::string(kAgentVersion)});
    info.gauge.value = 1;
    build.metric.push_back(std::move(info));
    out.push_back(std::move(build));

    prometheus::MetricFamily up{
        .name = "hvagent_metrics_source_up",
        .help =
            "1 if the scrape-time source answered on this scrape, else 0 (its families are "
            "then missing).",
        .type = prometheus::MetricType::Gauge,
        .metric = {}};
    for (const auto& [name, source] : sources) {
      StatusOr<std::vector<GaugeFamily>> families = source();
      prometheus::ClientMetric m;
      m.label.push_back({"source", name});
      m.gauge.value = families.ok() ? 1 : 0;
      up.metric.push_back(std::move(m));
      if (!families.ok()) continue;
      for (GaugeFamily& family : *families) {
        prometheus::MetricFamily f{.name = std::move(family.name),
                                   .help = std::move(family.help),
                                   .type = TypeOf(family.type),
                                   .metric = {}};
        for (Sample& sample : family.samples) {
          f.metric.push_back(ToClientMetric(family.type, sample));
        }
        out.push_back(std::move(f));
      }
    }
    out.push_back(std::move(up));
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, GaugeSource>> sources_;
};

namespace {

// A family as the constructor declares each: its kind (`builder`, e.g.
// prometheus::BuildCounter()), its name and what it counts.
template <typename Builder>
auto& Family(Builder builder, prometheus::Registry& registry, const std::string& name,
             const std::string& help) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      gauges_(std::make_shared<GaugeCollector>()),
      rpc_total_(Family(prometheus::BuildCounter(), *registry_, "hvagent_rpc_requests_total",
                        "gRPC calls finished, by method and status code.")),
      rpc_seconds_(Family(prometheus::BuildHistogram(), *registry_, "hvagent_rpc_duration_seconds",
                          "gRPC call latency (streams: their whole life), by method and code.")),
      ovsdb_total_(Family(prometheus::BuildCounter(), *registry_,
                          "hvagent_ovsdb_transactions_total",
                          "OVSDB transactions the agent ran, by result (ok, error).")),
      ovsdb_seconds_(Family(prometheus::BuildHistogram(), *registry_,
                            "hvagent_ovsdb_transaction_duration_seconds",
                            "OVSDB transaction latency as its caller sees it, by result.")),
      ovsdb_operations_(Family(prometheus::BuildHistogram(), *registry_,
                               "hvagent_ovsdb_transaction_operations",
                               "Operations per OVSDB transaction (a caller's batch size).")),
      libvirt_seconds_(Family(prometheus::BuildHistogram(), *registry_,
                              "hvagent_libvirt_call_duration_seconds",
                              "libvirt call latency, by call and result (ok, error).")) {}

Metrics::~Metrics() = default;

void Metrics::ObserveRpc(std::string_view method, std::string_view code,
                         std::chrono::nanoseconds took) {
  const prometheus::Labels labels{{"method", std::string(method)}, {"code", std::string(code)}};
  rpc_total_.Add(labels).Increment();
  rpc_seconds_.Add(labels, CallBuckets()).Observe(Seconds(took));
}

void Metrics::ObserveTransaction(std::chrono::nanoseconds took, size_t operations, bool ok) {
  const prometheus::Labels labels{{"result", Result(ok)}};
  ovsdb_total_.Add(labels).Increment();
  ovsdb_seconds_.Add(labels, OvsdbBuckets()).Observe(Seconds(took));
  ovsdb_operations_.Add({}, CountBuckets()).Observe(static_cast<double>(operations));
}

void Metrics::ObserveLibvirtCall(std::string_view call, std::chrono::nanoseconds took, bool ok) {
  libvirt_seconds_.Add({{"call", std::string(call)}, {"result", Result(ok)}}, CallBuckets())
      .Observe(Seconds(took));
}

void Metrics::AddGaugeSource(std::string source, GaugeSource gauges) {
  gauges_->Add(std::move(source), std::move(gauges));
}

std::vector<std::weak_ptr<prometheus::Collectable>> Metrics::Collectables() const {
  return {registry_, gauges_};
}

std::string Metrics::Serialize() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  std::vector<prometheus::MetricFamily> gauges = gauges_->Collect();
  families.insert(families.end(), std::make_move_iterator(gauges.begin()),
                  std::make_move_iterator(gauges.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace hvagent::metrics
