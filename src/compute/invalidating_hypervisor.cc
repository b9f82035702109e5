#include "hvagent/compute/invalidating_hypervisor.h"

namespace hvagent::compute {

namespace {

// A domain whose changes mark it changed in the cache; reads pass through.
class InvalidatingDomain final : public HypervisorDomain {
 public:
  InvalidatingDomain(std::unique_ptr<HypervisorDomain> domain, DomainCache& cache)
      : domain_(std::move(domain)), cache_(cache) {}

  const std::string& Name() const override { return domain_->Name(); }
  StatusOr<std::string> Uuid() const override { return domain_->Uuid(); }
  StatusOr<DomainState> State() const override { return domain_->State(); }
  StatusOr<bool> StartingUp() const override { return domain_->StartingUp(); }
  StatusOr<bool> HeldByMigration() const override { return domain_->HeldByMigration(); }
  StatusOr<std::string> PersistentXml() const override { return domain_->PersistentXml(); }
  StatusOr<DomainUsage> Usage() const override { return domain_->Usage(); }
  StatusOr<bool> HasLiveDevice(std::string_view device_xml) const override {
    return domain_->HasLiveDevice(device_xml);
  }
  StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const override {
    return domain_->LiveMetadata(uri);
  }
  StatusOr<MigrationJob> Job(bool completed) const override { return domain_->Job(completed); }
  Status SetMaxDowntime(uint64_t ms) override { return domain_->SetMaxDowntime(ms); }

  Status Start() override { return Changed(domain_->Start()); }
  Status Destroy() override { return Changed(domain_->Destroy()); }
  Status Undefine() override { return Changed(domain_->Undefine()); }
  Status Shutdown() override { return Changed(domain_->Shutdown()); }
  Status Reboot() override { return Changed(domain_->Reboot()); }
  Status Reset() override { return Changed(domain_->Reset()); }
  Status Suspend() override { return Changed(domain_->Suspend()); }
  Status Resume() override { return Changed(domain_->Resume()); }
  Status AttachLiveDevice(std::string_view device_xml) override {
    return Changed(domain_->AttachLiveDevice(device_xml));
  }
  Status DetachLiveDevice(std::string_view device_xml) override {
    return Changed(domain_->DetachLiveDevice(device_xml));
  }
  Status SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                         const std::string& uri) override {
    return Changed(domain_->SetLiveMetadata(element_xml, prefix, uri));
  }
  Status MigrateToPeer(const MigrationTarget& target) override {
    return Changed(domain_->MigrateToPeer(target));
  }
  Status AbortJob() override { return Changed(domain_->AbortJob()); }

 private:
  Status Changed(Status status) {
    cache_.DomainChanged(domain_->Name());
    return status;
  }

  std::unique_ptr<HypervisorDomain> domain_;
  DomainCache& cache_;
};

}  // namespace

std::unique_ptr<HypervisorDomain> InvalidatingHypervisor::Wrap(
    std::unique_ptr<HypervisorDomain> domain) {
  return std::make_unique<InvalidatingDomain>(std::move(domain), cache_);
}

StatusOr<std::unique_ptr<HypervisorDomain>> InvalidatingHypervisor::LookupDomain(
    const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto domain, hypervisor_.LookupDomain(name));
  return Wrap(std::move(domain));
}

StatusOr<std::unique_ptr<HypervisorDomain>> InvalidatingHypervisor::DefineDomain(
    std::string_view xml) {
  HVAGENT_ASSIGN_OR_RETURN(auto domain, hypervisor_.DefineDomain(xml));
  cache_.DomainChanged(domain->Name());
  return Wrap(std::move(domain));
}

StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> InvalidatingHypervisor::ListDomains() {
  HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
  for (auto& domain : domains) domain = Wrap(std::move(domain));
  return domains;
}

}  // namespace hvagent::compute
