// A BackendProbe decorator that reports each probe as a libvirt call
// ("probe"): the monitor probes libvirtd every few seconds through the agent's
// shared connection, so this is a steady measure of libvirtd's latency.
#pragma once

#include <memory>

#include "hvagent/host/backend_probe.h"
#include "hvagent/metrics/libvirt_observer.h"

namespace hvagent::metrics {

std::unique_ptr<host::BackendProbe> TimeLibvirtProbe(std::unique_ptr<host::BackendProbe> probe,
                                                     LibvirtObserver& observer);

}  // namespace hvagent::metrics
