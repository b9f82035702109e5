#include "hvagent/compute/libvirt_hypervisor.h"

#include "hvagent/compute/device_xml.h"
#include "hvagent/compute/machine_types.h"
#include "hvagent/libvirt/domain.h"

namespace hvagent::compute {

namespace {

// A libvirt::Domain as a HypervisorDomain: each call is libvirt's.
class LibvirtDomain final : public HypervisorDomain {
 public:
  explicit LibvirtDomain(libvirt::Domain domain) : domain_(std::move(domain)) {}

  const std::string& Name() const override { return domain_.Name(); }
  StatusOr<std::string> Uuid() const override { return domain_.Uuid(); }
  StatusOr<DomainState> State() const override { return domain_.State(); }
  StatusOr<bool> StartingUp() const override { return domain_.StartingUp(); }
  StatusOr<bool> HeldByMigration() const override { return domain_.HeldByMigration(); }
  StatusOr<std::string> PersistentXml() const override { return domain_.PersistentXml(); }
  StatusOr<bool> HasLiveDevice(std::string_view device_xml) const override {
    HVAGENT_ASSIGN_OR_RETURN(const std::string live, domain_.XmlDesc());
    return DomainHasDevice(live, device_xml);
  }
  StatusOr<DomainUsage> Usage() const override {
    HVAGENT_ASSIGN_OR_RETURN(const libvirt::Domain::Info info, domain_.GetInfo());
    return DomainUsage{.cpu_time_ns = info.cpu_time_ns, .memory_kib = info.memory_kib};
  }

  Status Start() override { return domain_.Start(); }
  Status Destroy() override { return domain_.Destroy(); }
  Status Undefine() override { return domain_.Undefine(); }
  Status Shutdown() override { return domain_.Shutdown(); }
  Status Reboot() override { return domain_.Reboot(); }
  Status Reset() override { return domain_.Reset(); }
  Status Suspend() override { return domain_.Suspend(); }
  Status Resume() override { return domain_.Resume(); }
  Status AttachLiveDevice(std::string_view device_xml) override {
    return domain_.AttachLiveDevice(device_xml);
  }
  Status DetachLiveDevice(std::string_view device_xml) override {
    return domain_.DetachLiveDevice(device_xml);
  }
  StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const override {
    return domain_.LiveMetadata(uri);
  }
  Status SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                         const std::string& uri) override {
    return domain_.SetLiveMetadata(element_xml, prefix, uri);
  }
  Status MigrateToPeer(const MigrationTarget& target) override {
    return domain_.MigrateToPeer({.destination_uri = target.libvirt_uri,
                                  .stream_uri = target.stream_uri,
                                  .live = !target.offline,
                                  .offline = target.offline,
                                  .auto_converge = target.auto_converge,
                                  .bandwidth_mibps = target.bandwidth_mibps});
  }
  StatusOr<MigrationJob> Job(bool completed) const override {
    HVAGENT_ASSIGN_OR_RETURN(const libvirt::JobStats stats, domain_.GetJobStats(completed));
    return MigrationJob{.active = stats.active,
                        .data_total = stats.data_total,
                        .data_processed = stats.data_processed,
                        .data_remaining = stats.data_remaining,
                        .downtime_ms = stats.downtime_ms};
  }
  Status AbortJob() override { return domain_.AbortJob(); }
  Status SetMaxDowntime(uint64_t ms) override { return domain_.SetMaxDowntime(ms); }

 private:
  libvirt::Domain domain_;
};

std::unique_ptr<HypervisorDomain> Wrap(libvirt::Domain domain) {
  return std::make_unique<LibvirtDomain>(std::move(domain));
}

}  // namespace

StatusOr<std::unique_ptr<HypervisorDomain>> LibvirtHypervisor::LookupDomain(
    const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(libvirt::Domain domain, conn->LookupDomainByName(name));
  return Wrap(std::move(domain));
}

StatusOr<std::unique_ptr<HypervisorDomain>> LibvirtHypervisor::DefineDomain(std::string_view xml) {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(libvirt::Domain domain, conn->DefineDomain(xml));
  return Wrap(std::move(domain));
}

StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> LibvirtHypervisor::ListDomains() {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(std::vector<libvirt::Domain> domains, conn->ListAllDomains());
  std::vector<std::unique_ptr<HypervisorDomain>> wrapped;
  wrapped.reserve(domains.size());
  for (libvirt::Domain& domain : domains) wrapped.push_back(Wrap(std::move(domain)));
  return wrapped;
}

StatusOr<DomainType> LibvirtHypervisor::GuestDomainType() {
  if (auto chosen = domain_types_.Current()) return chosen->type;
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(const DomainTypeChoice choice, domain_types_.Choose(*conn));
  return choice.type;
}

StatusOr<std::vector<std::string>> LibvirtHypervisor::MachineTypes() {
  HVAGENT_ASSIGN_OR_RETURN(auto conn, libvirt_.Get());
  HVAGENT_ASSIGN_OR_RETURN(const std::string capabilities, conn->CapabilitiesXml());
  return MachineTypesOf(capabilities);
}

}  // namespace hvagent::compute
