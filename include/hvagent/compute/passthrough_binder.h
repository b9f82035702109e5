// Binds PCI endpoints to vfio-pci crash-safely: the intent is recorded in the
// local store before each step, so a kill at any point converges on restart
// (Recover): each device ends bound and recorded, or released and recorded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/pci/device_binder.h"
#include "hvagent/pci/pci_inventory.h"
#include "hvagent/store/passthrough_store.h"

namespace hvagent::compute {

class PassthroughBinder {
 public:
  // Both must outlive this object. `now_ms` gives the time rows are stamped with.
  PassthroughBinder(store::PassthroughStore& store, pci::DeviceBinder& binder,
                    std::function<int64_t()> now_ms = nullptr);

  // Records every endpoint as to be bound, then detaches each to vfio-pci.
  // Endpoints already bound and recorded are left as they are (idempotent).
  // When one fails, the endpoints this call bound are released again (each
  // recorded first) and the error names the device.
  Status Bind(const std::vector<pci::PciDevice>& endpoints);
  // Records each as to be released, re-attaches it to the host, marks it done.
  Status Release(const std::vector<pci::PciAddress>& addresses);
  // Finishes every step a killed agent left undone: a device recorded as to be
  // bound is detached, one to be released is re-attached (both idempotent).
  // Every row is tried; the first error is returned.
  Status Recover();
  // The addresses recorded as bound and done.
  StatusOr<std::vector<std::string>> BoundAddresses();

 private:
  Status Record(const std::string& address, const std::string& vendor_device,
                store::PassthroughRecord::Intent intent, bool done);
  Status Finish(const store::PassthroughRecord& record);

  store::PassthroughStore* store_;
  pci::DeviceBinder* binder_;
  std::function<int64_t()> now_ms_;
};

}  // namespace hvagent::compute
