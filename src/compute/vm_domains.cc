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
  HVAGENT_ASSIGN_OR_RETURN(CachedDomain read, ReadDomain(domain));
  // The caller's handle, borrowed for this call only.
  read.domain = std::shared_ptr<HypervisorDomain>(&domain, [](HypervisorDomain*) {});
  std::map<std::string, CpuStanding> standings;
  return StatusOf(read, standings);
}

VmStatus VmDomains::StatusOf(const CachedDomain& domain,
                             std::map<std::string, CpuStanding>& standings) {
  VmStatus status{
      .config = domain.config, .state = domain.state, .started_unix_ms = domain.started_unix_ms};
  if (cpu_policy_ != nullptr && !status.config.external) {
    // The definition's CPU is what the domain runs with: it is only ever
    // replaced right before a power-on.
    const std::string& cpu = status.config.cpu_baseline_xml;
    if (const auto known = standings.find(cpu); known != standings.end()) {
      status.cpu_standing = known->second;
    } else if (auto standing = cpu_policy_->StandingOf(cpu); standing.ok()) {
      status.cpu_standing = standings[cpu] = *standing;
    } else {
      spdlog::debug("VM '{}': CPU standing unknown: {}", status.config.name, standing.status());
    }
  }
  if (IsActive(domain.state)) {
    if (domain.domain != nullptr) {
      if (auto usage = domain.domain->Usage(); usage.ok()) {
        status.cpu_time_ns = usage->cpu_time_ns;
        status.memory_used_bytes = usage->memory_kib * 1024;
      }
    }
    for (const NicConfig& nic : status.config.nics) {
      status.link_up[nic.tap] = InterfaceLinkUp(nic.tap);
    }
  }
  return status;
}

StatusOr<VmStatus> VmDomains::Get(const std::string& name) {
  auto domain = cache_.Get(name);
  if (!domain.ok() && domain.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(fmt::format("VM '{}' does not exist", name));
  }
  HVAGENT_RETURN_IF_ERROR(domain.status());
  std::map<std::string, CpuStanding> standings;
  return StatusOf(*domain, standings);
}

namespace {

// Whether a definition is a VM of a listing (with external ones or not).
std::function<bool(const VmConfig&)> IsListedVm(bool include_external) {
  return [include_external](const VmConfig& config) {
    // The agent's own probe domains are never VMs.
    return !IsProbeDomainName(config.name) && (include_external || !config.external);
  };
}

DomainWindow VmsWindow(bool include_external, const std::string& after, size_t limit) {
  return {.after = after, .limit = limit, .wanted = IsListedVm(include_external)};
}

}  // namespace

StatusOr<std::vector<VmStatus>> VmDomains::List(bool include_external, const std::string& after,
                                                size_t limit) {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<CachedDomain> domains,
                           cache_.List(VmsWindow(include_external, after, limit)));
  std::vector<VmStatus> vms;
  vms.reserve(domains.size());
  std::map<std::string, CpuStanding> standings;
  for (const CachedDomain& domain : domains) vms.push_back(StatusOf(domain, standings));
  return vms;
}

StatusOr<std::vector<CachedDomain>> VmDomains::Definitions(bool include_external) {
  return cache_.List(VmsWindow(include_external, "", std::numeric_limits<size_t>::max()));
}

Status VmDomains::ForEachDefinition(bool include_external,
                                    const std::function<void(const VmConfig&)>& visit) {
  return cache_.ForEach(IsListedVm(include_external), visit);
}

Status VmDomains::CheckMacFree(const std::string& field, const std::string& mac,
                               const std::string& self_uuid) {
  std::string holder;  // the first other VM with a NIC of that MAC
  HVAGENT_RETURN_IF_ERROR(ForEachDefinition(/*include_external=*/true, [&](const VmConfig& vm) {
    if (!holder.empty() || vm.uuid == self_uuid) return;
    for (const NicConfig& nic : vm.nics) {
      if (nic.mac == mac) holder = vm.name;
    }
  }));
  if (!holder.empty()) {
    return absl::AlreadyExistsError(fmt::format(
        "{}: {} is already the MAC of a NIC of VM '{}' on this host", field, mac, holder));
  }
  return absl::OkStatus();
}

std::string VmDomains::FreshMac(const std::set<std::string>& taken,
                                const std::function<std::string()>& random) {
  // Each draw looked for among the host's NICs without collecting them: a
  // create then costs one pass over the definitions, not a set of every MAC.
  // A host whose NICs cannot be read passes the draw: CheckMacFree has the
  // last word.
  const auto in_use = [&](const std::string& mac) {
    bool found = taken.contains(mac);
    const Status walked = ForEachDefinition(/*include_external=*/true, [&](const VmConfig& vm) {
      for (const NicConfig& nic : vm.nics) found = found || nic.mac == mac;
    });
    if (!walked.ok()) spdlog::debug("fresh MAC: the host's NICs unread: {}", walked);
    return found;
  };
  std::string mac = random();
  for (int draw = 1; draw < 64 && in_use(mac); ++draw) mac = random();
  return mac;
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

bool VmDomains::AnyArriving() const {
  std::lock_guard lock(arriving_mu_);
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [uuid, until] : arriving_) {
    if (now < until) return true;
  }
  return false;
}

}  // namespace hvagent::compute
