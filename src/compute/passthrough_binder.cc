#include "hvagent/compute/passthrough_binder.h"

#include <spdlog/spdlog.h>

#include <map>

#include "hvagent/common/unix_clock.h"

namespace hvagent::compute {

namespace {

using Intent = store::PassthroughRecord::Intent;

}  // namespace

PassthroughBinder::PassthroughBinder(store::PassthroughStore& store, pci::DeviceBinder& binder,
                                     std::function<int64_t()> now_ms)
    : store_(&store), binder_(&binder), now_ms_(now_ms ? std::move(now_ms) : NowUnixMs) {}

Status PassthroughBinder::Record(const std::string& address, const std::string& vendor_device,
                                 Intent intent, bool done) {
  return store_->Put({.address = address,
                      .vendor_device = vendor_device,
                      .intent = intent,
                      .done = done,
                      .updated_unix_ms = now_ms_()});
}

Status PassthroughBinder::Bind(const std::vector<pci::PciDevice>& endpoints) {
  HVAGENT_ASSIGN_OR_RETURN(std::vector<store::PassthroughRecord> records, store_->List());
  std::map<std::string, store::PassthroughRecord> known;
  for (auto& record : records) known.emplace(record.address, std::move(record));

  // 1. The intent, for every endpoint this call binds, in one transaction.
  std::vector<const pci::PciDevice*> fresh;
  for (const pci::PciDevice& endpoint : endpoints) {
    const auto it = known.find(endpoint.address.ToString());
    if (it != known.end() && it->second.intent == Intent::kBound && it->second.done) continue;
    fresh.push_back(&endpoint);
  }
  const Status recorded = store_->database().Transaction([&]() -> Status {
    for (const pci::PciDevice* endpoint : fresh) {
      HVAGENT_RETURN_IF_ERROR(
          Record(endpoint->address.ToString(), endpoint->VendorDevice(), Intent::kBound, false));
    }
    return absl::OkStatus();
  });
  HVAGENT_RETURN_IF_ERROR(recorded);

  // 2. Each endpoint to vfio-pci, marked done as soon as it is.
  for (size_t i = 0; i < fresh.size(); ++i) {
    const pci::PciDevice& endpoint = *fresh[i];
    const std::string address = endpoint.address.ToString();
    Status detached = binder_->Detach(endpoint.address);
    if (detached.ok()) {
      detached = Record(address, endpoint.VendorDevice(), Intent::kBound, true);
      if (detached.ok()) continue;
    }
    // 3. A failure: hand back what this call took (recorded first, so a kill
    // during the roll-back still converges), and report the device.
    spdlog::warn("binding {} to vfio-pci failed: {}; releasing the {} endpoint(s) of this call",
                 address, detached, fresh.size());
    for (const pci::PciDevice* taken : fresh) {
      const std::string taken_address = taken->address.ToString();
      Status released = Record(taken_address, taken->VendorDevice(), Intent::kReleased, false);
      if (released.ok()) released = binder_->Reattach(taken->address);
      if (released.ok()) {
        released = Record(taken_address, taken->VendorDevice(), Intent::kReleased, true);
      }
      if (!released.ok()) {
        spdlog::error("releasing {} after a failed bind: {} (the next start retries)",
                      taken_address, released);
      }
    }
    return Annotate(detached,
                    fmt::format("bind {} ({}) to vfio-pci", address, endpoint.VendorDevice()));
  }
  return absl::OkStatus();
}

Status PassthroughBinder::Release(const std::vector<pci::PciAddress>& addresses) {
  HVAGENT_ASSIGN_OR_RETURN(std::vector<store::PassthroughRecord> records, store_->List());
  std::map<std::string, std::string> vendor_device_of;
  for (const auto& record : records) vendor_device_of[record.address] = record.vendor_device;
  const Status recorded = store_->database().Transaction([&]() -> Status {
    for (const pci::PciAddress& address : addresses) {
      const std::string name = address.ToString();
      HVAGENT_RETURN_IF_ERROR(Record(name, vendor_device_of[name], Intent::kReleased, false));
    }
    return absl::OkStatus();
  });
  HVAGENT_RETURN_IF_ERROR(recorded);
  for (const pci::PciAddress& address : addresses) {
    const std::string name = address.ToString();
    HVAGENT_RETURN_IF_ERROR(
        Annotate(binder_->Reattach(address), fmt::format("release {} from vfio-pci", name)));
    HVAGENT_RETURN_IF_ERROR(Record(name, vendor_device_of[name], Intent::kReleased, true));
  }
  return absl::OkStatus();
}

Status PassthroughBinder::Finish(const store::PassthroughRecord& record) {
  HVAGENT_ASSIGN_OR_RETURN(pci::PciAddress address, pci::PciAddress::Parse(record.address));
  const bool bind = record.intent == Intent::kBound;
  HVAGENT_RETURN_IF_ERROR(bind ? binder_->Detach(address) : binder_->Reattach(address));
  return Record(record.address, record.vendor_device, record.intent, true);
}

Status PassthroughBinder::Recover() {
  HVAGENT_ASSIGN_OR_RETURN(std::vector<store::PassthroughRecord> records, store_->List());
  Status first = absl::OkStatus();
  for (const store::PassthroughRecord& record : records) {
    if (record.done) continue;
    spdlog::info("finishing the interrupted {} of {}",
                 record.intent == Intent::kBound ? "bind" : "release", record.address);
    Status finished = Finish(record);
    if (!finished.ok()) {
      spdlog::error("cannot finish {} of {}: {}",
                    record.intent == Intent::kBound ? "bind" : "release", record.address, finished);
      if (first.ok()) first = Annotate(finished, fmt::format("recover {}", record.address));
    }
  }
  return first;
}

StatusOr<std::vector<std::string>> PassthroughBinder::BoundAddresses() {
  HVAGENT_ASSIGN_OR_RETURN(std::vector<store::PassthroughRecord> records, store_->List());
  std::vector<std::string> bound;
  for (const auto& record : records) {
    if (record.intent == Intent::kBound && record.done) bound.push_back(record.address);
  }
  return bound;
}

}  // namespace hvagent::compute
