// What callers of libvirt report: how long one call (`call`, a short
// snake_case name such as "list_domains") took and whether it succeeded.
#pragma once

#include <chrono>
#include <string_view>

namespace hvagent::metrics {

class LibvirtObserver {
 public:
  virtual ~LibvirtObserver() = default;
  virtual void ObserveLibvirtCall(std::string_view call, std::chrono::nanoseconds took,
                                  bool ok) = 0;
};

}  // namespace hvagent::metrics
