#include "hvagent/compute/vm_domains.h"

#include <algorithm>

#include "hvagent/common/interface_link.h"
#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/probe_domain_name.h"
#include "hvagent/compute/runtime_metadata.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

StatusOr<std::unique_ptr<HypervisorDomain>> VmDomains::Lookup(const std::string& name) {
  auto domain = hypervisor_.LookupDomain(name);
  if (!domain.ok() && domain.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' does not exist", name));
  }
  return domain;
}

StatusOr<VmDomains::Owned> VmDomains::LookupOwned(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(std::unique_ptr<HypervisorDomain> domain, Lookup(name));
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, domain->PersistentXml());
  HVAGENT_ASSIGN_OR_RETURN(VmConfig config, ParseDomainXml(xml));
  if (config.external) {
    return absl::FailedPreconditionError(
        fmt::format("VM '{}' was not created by hvagent: it is listed, never changed", name));
  }
  return Owned{std::move(domain), std::move(config)};
}

StatusOr<VmStatus> VmDomains::StatusOf(HypervisorDomain& domain) {
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, domain.PersistentXml());
  HVAGENT_ASSIGN_OR_RETURN(VmConfig config, ParseDomainXml(xml));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, domain.State());
  VmStatus status{.config = std::move(config), .state = state};
  if (cpu_policy_ != nullptr && !status.config.external) {
    // The definition's CPU is what the domain runs with: it is only ever
    // replaced right before a power-on.
    auto standing = cpu_policy_->StandingOf(status.config.cpu_baseline_xml);
    if (standing.ok()) {
      status.cpu_standing = *standing;
    } else {
      spdlog::debug("VM '{}': CPU standing unknown: {}", status.config.name, standing.status());
    }
  }
  if (IsActive(state)) {
    if (auto usage = domain.Usage(); usage.ok()) {
      status.cpu_time_ns = usage->cpu_time_ns;
      status.memory_used_bytes = usage->memory_kib * 1024;
    }
    if (auto runtime = domain.LiveMetadata(std::string(kRuntimeNamespace));
        runtime.ok() && runtime->has_value()) {
      if (auto parsed = ParseRuntimeMetadataXml(**runtime); parsed.ok()) {
        status.started_unix_ms = parsed->started_unix_ms;
      }
    }
    for (const NicConfig& nic : status.config.nics) {
      status.link_up[nic.tap] = InterfaceLinkUp(nic.tap);
    }
  }
  return status;
}

StatusOr<std::vector<VmStatus>> VmDomains::List(bool include_external) {
  HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
  std::vector<VmStatus> vms;
  for (const std::unique_ptr<HypervisorDomain>& domain : domains) {
    if (IsProbeDomainName(domain->Name())) continue;  // the agent's own, never a VM
    auto status = StatusOf(*domain);
    if (!status.ok()) {
      // A domain that vanished meanwhile, or one we cannot describe: skip it,
      // never fail the whole list (and never conclude anything from it).
      spdlog::debug("list: skipping domain '{}': {}", domain->Name(), status.status());
      continue;
    }
    if (status->config.external && !include_external) continue;
    vms.push_back(*std::move(status));
  }
  std::sort(vms.begin(), vms.end(),
            [](const VmStatus& a, const VmStatus& b) { return a.config.name < b.config.name; });
  return vms;
}

Status VmDomains::CheckMacFree(const std::string& field, const std::string& mac,
                               const std::string& self_uuid) {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<VmStatus> vms, List(/*include_external=*/true));
  for (const VmStatus& vm : vms) {
    if (vm.config.uuid == self_uuid) continue;
    for (const NicConfig& nic : vm.config.nics) {
      if (nic.mac == mac) {
        return absl::AlreadyExistsError(
            fmt::format("{}: {} is already the MAC of a NIC of VM '{}' on this host", field, mac,
                        vm.config.name));
      }
    }
  }
  return absl::OkStatus();
}

void VmDomains::MarkArriving(const std::string& uuid, std::chrono::steady_clock::time_point until) {
  std::lock_guard lock(arriving_mu_);
  arriving_[uuid] = until;
}

void VmDomains::ClearArriving(const std::string& uuid) {
  std::lock_guard lock(arriving_mu_);
  arriving_.erase(uuid);
}

bool VmDomains::IsArriving(const std::string& uuid) const {
  std::lock_guard lock(arriving_mu_);
  const auto it = arriving_.find(uuid);
  return it != arriving_.end() && std::chrono::steady_clock::now() < it->second;
}

}  // namespace hvagent::compute
