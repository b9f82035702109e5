#include "hvagent/metrics/timed_backend_probe.h"

#include <chrono>
#include <utility>

namespace hvagent::metrics {

namespace {

class TimedBackendProbe final : public host::BackendProbe {
 public:
  TimedBackendProbe(std::unique_ptr<host::BackendProbe> inner, LibvirtObserver& observer)
      : inner_(std::move(inner)), observer_(observer) {}

  std::string name() const override { return inner_->name(); }
  std::string endpoint() const override { return inner_->endpoint(); }

  StatusOr<std::string> Probe() override {
    const auto start = std::chrono::steady_clock::now();
    StatusOr<std::string> version = inner_->Probe();
    observer_.ObserveLibvirtCall("probe", std::chrono::steady_clock::now() - start, version.ok());
    return version;
  }

 private:
  std::unique_ptr<host::BackendProbe> inner_;
  LibvirtObserver& observer_;
};

}  // namespace

std::unique_ptr<host::BackendProbe> TimeLibvirtProbe(std::unique_ptr<host::BackendProbe> probe,
                                                     LibvirtObserver& observer) {
  return std::make_unique<TimedBackendProbe>(std::move(probe), observer);
}

}  // namespace hvagent::metrics
