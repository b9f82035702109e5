// A Hypervisor that tells a DomainCache of every change made through it: the
// domain is marked changed once the hypervisor returns (failed or not: a
// failed change may have done part), before its caller sees the result. So a
// read after the agent's own change returned never serves what was before it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/compute/domain_cache.h"
#include "hvagent/compute/hypervisor.h"

namespace hvagent::compute {

class InvalidatingHypervisor final : public Hypervisor {
 public:
  InvalidatingHypervisor(Hypervisor& hypervisor, DomainCache& cache)
      : hypervisor_(hypervisor), cache_(cache) {}

  StatusOr<std::unique_ptr<HypervisorDomain>> LookupDomain(const std::string& name) override;
  StatusOr<std::unique_ptr<HypervisorDomain>> DefineDomain(std::string_view xml) override;
  StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> ListDomains() override;
  StatusOr<DomainType> GuestDomainType() override { return hypervisor_.GuestDomainType(); }
  StatusOr<std::vector<std::string>> MachineTypes() override { return hypervisor_.MachineTypes(); }

 private:
  std::unique_ptr<HypervisorDomain> Wrap(std::unique_ptr<HypervisorDomain> domain);

  Hypervisor& hypervisor_;
  DomainCache& cache_;
};

}  // namespace hvagent::compute
