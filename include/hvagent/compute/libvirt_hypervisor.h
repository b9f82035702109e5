// The Hypervisor over the agent's libvirt connection. Guests get the domain
// type the DomainTypeSelector chose, probing on first use when the daemon
// could not at start.
#pragma once

#include "hvagent/compute/domain_type_selector.h"
#include "hvagent/compute/hypervisor.h"
#include "hvagent/libvirt/connection_manager.h"

namespace hvagent::compute {

class LibvirtHypervisor final : public Hypervisor {
 public:
  LibvirtHypervisor(libvirt::ConnectionManager& libvirt, DomainTypeSelector& domain_types)
      : libvirt_(libvirt), domain_types_(domain_types) {}

  StatusOr<std::unique_ptr<HypervisorDomain>> LookupDomain(const std::string& name) override;
  StatusOr<std::unique_ptr<HypervisorDomain>> DefineDomain(std::string_view xml) override;
  StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> ListDomains() override;
  StatusOr<DomainType> GuestDomainType() override;
  StatusOr<std::vector<std::string>> MachineTypes() override;

 private:
  libvirt::ConnectionManager& libvirt_;
  DomainTypeSelector& domain_types_;
};

}  // namespace hvagent::compute
