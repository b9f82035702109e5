// Which domain type this host can really run: KVM may be offered (the module
// is loaded, /dev/kvm exists) yet fail on real guests, as in nested set-ups.
#pragma once

#include "hvagent/compute/vm_config.h"
#include "hvagent/libvirt/connection.h"

namespace hvagent::compute {

// kKvm when libvirt offers KVM for x86_64 guests and a probe guest (firmware
// only, no disks) keeps running under it for a moment; else kQemu (TCG).
DomainType DetectDomainType(libvirt::Connection& conn);

}  // namespace hvagent::compute
