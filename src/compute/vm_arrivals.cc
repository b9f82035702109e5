#include "hvagent/compute/vm_arrivals.h"

#include <fmt/ranges.h>

#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/nic_attach.h"
#include "hvagent/cpu/cpu_description.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {
Status Refused(const std::string& vm, const Status& why) {
  return absl::FailedPreconditionError(
      fmt::format("destination cannot take VM '{}': {}", vm, MessageOf(why)));
}
}  // namespace

StatusOr<VmConfig> VmArrivals::Resolve(const std::string& domain_xml, bool live) {
  auto parsed = ParseDomainXml(domain_xml);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(fmt::format("domain_xml: {}", MessageOf(parsed.status())));
  }
  VmConfig config = std::move(*parsed);
  if (config.external) {
    return absl::FailedPreconditionError(
        fmt::format("VM '{}' was not created by hvagent: it is not migrated", config.name));
  }
  // Its files open here under this host's rules, like a created VM's.
  if (Status paths = paths_.CheckVm(config); !paths.ok()) return Refused(config.name, paths);
  // A configuration maximum of this host is a precondition of the move, not
  // a request too large.
  if (Status within = CheckVmLimits(config, limits_); !within.ok()) {
    return Refused(config.name, within);
  }
  const auto existing = domains_.hypervisor().LookupDomain(config.name);
  if (existing.ok()) {
    HVAGENT_ASSIGN_OR_RETURN(const std::string uuid, (*existing)->Uuid());
    // A live migration's domain may already be here while it arrives.
    if (!(live && uuid == config.uuid && domains_.IsArriving(uuid))) {
      return Refused(config.name, absl::AlreadyExistsError("a VM of that name exists here"));
    }
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }
  if (cpu_check_) {
    if (Status runs = cpu_check_(config); !runs.ok()) return Refused(config.name, runs);
  }
  for (size_t i = 0; i < config.nics.size(); ++i) {
    if (Status resolved = networks_.ResolveInto(config.nics[i]); !resolved.ok()) {
      return Refused(config.name, Status(resolved.code(), fmt::format("nics[{}].network: {}", i,
                                                                      MessageOf(resolved))));
    }
  }
  return config;
}

Status VmArrivals::Check(const std::string& domain_xml, bool live) {
  return Resolve(domain_xml, live).status();
}

Status VmArrivals::Prepare(const std::string& domain_xml) {
  // No network changes under the NICs joining it.
  std::shared_lock network_use(domains_.network_use());
  HVAGENT_ASSIGN_OR_RETURN(const VmConfig config, Resolve(domain_xml, /*live=*/true));
  domains_.MarkArriving(config.uuid, std::chrono::steady_clock::now() + grace_);
  if (Status attached = AttachNics(nics_, config.name, config.uuid, config.nics); !attached.ok()) {
    domains_.ClearArriving(config.uuid);
    return Annotate(attached, fmt::format("prepare arriving VM '{}'", config.name));
  }
  spdlog::info("VM '{}' ({}): {} NIC(s) ready for its arrival", config.name, config.uuid,
               config.nics.size());
  return absl::OkStatus();
}

Status VmArrivals::Abort(const std::string& domain_xml) {
  HVAGENT_ASSIGN_OR_RETURN(const VmConfig config, ParseDomainXml(domain_xml));
  const auto here = domains_.hypervisor().LookupDomain(config.name);
  if (here.ok()) {
    HVAGENT_ASSIGN_OR_RETURN(const std::string uuid, (*here)->Uuid());
    HVAGENT_ASSIGN_OR_RETURN(const DomainState state, (*here)->State());
    if (uuid == config.uuid && IsActive(state)) {
      // The VM arrived after all: its NICs are its own now.
      domains_.ClearArriving(config.uuid);
      return absl::FailedPreconditionError(
          fmt::format("VM '{}' runs here: its NICs stay", config.name));
    }
  } else if (here.status().code() != absl::StatusCode::kNotFound) {
    return here.status();  // cannot tell: remove nothing
  }
  Status removed;
  for (const NicConfig& nic : config.nics) removed.Update(nics_.Detach(nic));
  domains_.ClearArriving(config.uuid);
  spdlog::info("VM '{}' ({}): arrival cancelled, its NICs here removed", config.name, config.uuid);
  return removed;
}

StatusOr<MigrationJob> VmArrivals::Finish(const std::string& domain_xml) {
  HVAGENT_ASSIGN_OR_RETURN(const VmConfig config, ParseDomainXml(domain_xml));
  domains_.ClearArriving(config.uuid);
  // The hypervisor keeps the last job's statistics, the measured downtime
  // among them; without them the migration is no less done.
  HVAGENT_ASSIGN_OR_RETURN(auto domain, domains_.hypervisor().LookupDomain(config.name));
  auto job = domain->Job(/*completed=*/true);
  if (!job.ok()) {
    spdlog::info("VM '{}' arrived; its migration statistics are not available: {}", config.name,
                 job.status());
    return MigrationJob{};
  }
  spdlog::info("VM '{}' arrived: {} bytes, downtime {} ms", config.name, job->data_total,
               job->downtime_ms);
  return job;
}

VmArrivals::CpuCheck CpuCheckWith(CpuBaselineManager& cpus) {
  return [&cpus](const VmConfig& config) -> Status {
    std::string cpu_xml = config.cpu_baseline_xml;
    if (cpu_xml.empty() && !config.cpu_model_override.empty()) {
      cpu_xml = cpu::CpuXml({.model = config.cpu_model_override});
    }
    if (cpu_xml.empty()) return absl::OkStatus();
    HVAGENT_ASSIGN_OR_RETURN(const cpu::Runnability runs, cpus.RunnableHere(cpu_xml));
    if (runs.runnable) return absl::OkStatus();
    std::string why = "this host's CPU cannot run the VM's";
    if (!runs.missing_features.empty()) {
      why += fmt::format(": missing CPU features: {}", fmt::join(runs.missing_features, ", "));
    }
    if (!runs.vendor_mismatch.empty()) why += fmt::format(" ({})", runs.vendor_mismatch);
    return absl::FailedPreconditionError(why);
  };
}

}  // namespace hvagent::compute
