#include "hvagent/compute/domain_type_selector.h"

#include "hvagent/compute/domain_type_record.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

StatusOr<DomainTypeSetting> ParseDomainTypeSetting(std::string_view value, std::string_view key) {
  if (value == "auto") return DomainTypeSetting::kAuto;
  if (value == "kvm") return DomainTypeSetting::kKvm;
  if (value == "qemu") return DomainTypeSetting::kQemu;
  return absl::InvalidArgumentError(fmt::format(
      "{} '{}' must be auto (probe), kvm (require KVM) or qemu (TCG, no probe)", key, value));
}

StatusOr<DomainTypeChoice> DomainTypeSelector::Choose(libvirt::Connection& conn) {
  std::lock_guard probing(probe_mu_);
  {
    std::lock_guard lock(mu_);
    if (!refused_.ok()) return refused_;
    if (choice_) return *choice_;
  }
  DomainTypeChoice choice;
  if (setting_ == DomainTypeSetting::kQemu) {
    choice = {DomainType::kQemu, "qemu: set by compute.domain_type (no probe)"};
  } else {
    HVAGENT_ASSIGN_OR_RETURN(
        choice, ChooseWithRecord(ReadDomainTypeProbeKey(
                                     conn, setting_ == DomainTypeSetting::kKvm ? "kvm" : "auto"),
                                 records_, [&] { return ProbeDomainType(conn, options_); }));
  }
  std::lock_guard lock(mu_);
  if (setting_ == DomainTypeSetting::kKvm && choice.type != DomainType::kKvm) {
    refused_ = absl::FailedPreconditionError(
        fmt::format("compute.domain_type is kvm, but {}", choice.reason));
    return refused_;
  }
  spdlog::info("domain type {}", choice.reason);
  choice_ = choice;
  return choice;
}

std::optional<DomainTypeChoice> DomainTypeSelector::Current() const {
  std::lock_guard lock(mu_);
  return choice_;
}

}  // namespace hvagent::compute
