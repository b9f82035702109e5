#include "hvagent/libvirt/domain.h"

#include <libvirt/virterror.h>

#include <array>

#include "hvagent/libvirt/libvirt_error.h"

namespace hvagent::libvirt {

std::string_view DomainStateName(DomainState state) {
  switch (state) {
    case DomainState::kNoState: return "nostate";
    case DomainState::kRunning: return "running";
    case DomainState::kBlocked: return "blocked";
    case DomainState::kPaused: return "paused";
    case DomainState::kShuttingDown: return "shutting-down";
    case DomainState::kShutOff: return "shut-off";
    case DomainState::kCrashed: return "crashed";
    case DomainState::kSuspended: return "pm-suspended";
  }
  return "unknown";
}

Domain::Domain(DomainHandle handle) : handle_(std::move(handle)) {
  const char* name = virDomainGetName(handle_.get());
  name_ = name != nullptr ? name : "";
}

StatusOr<std::string> Domain::Uuid() const {
  std::array<char, VIR_UUID_STRING_BUFLEN> buf{};
  if (virDomainGetUUIDString(handle_.get(), buf.data()) < 0) {
    return LastLibvirtError("virDomainGetUUIDString");
  }
  return std::string(buf.data());
}

StatusOr<DomainState> Domain::State() const {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(handle_.get(), &state, &reason, 0) < 0) {
    return LastLibvirtError(fmt::format("state of domain '{}'", Name()));
  }
  switch (state) {
    case VIR_DOMAIN_RUNNING: return DomainState::kRunning;
    case VIR_DOMAIN_BLOCKED: return DomainState::kBlocked;
    case VIR_DOMAIN_PAUSED: return DomainState::kPaused;
    case VIR_DOMAIN_SHUTDOWN: return DomainState::kShuttingDown;
    case VIR_DOMAIN_SHUTOFF: return DomainState::kShutOff;
    case VIR_DOMAIN_CRASHED: return DomainState::kCrashed;
    case VIR_DOMAIN_PMSUSPENDED: return DomainState::kSuspended;
    default: return DomainState::kNoState;
  }
}

StatusOr<bool> Domain::StartingUp() const {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(handle_.get(), &state, &reason, 0) < 0) {
    return LastLibvirtError(fmt::format("state of domain '{}'", Name()));
  }
  return state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_STARTING_UP;
}

StatusOr<bool> Domain::HeldByMigration() const {
  int state = 0;
  int reason = 0;
  if (virDomainGetState(handle_.get(), &state, &reason, 0) < 0) {
    return LastLibvirtError(fmt::format("state of domain '{}'", Name()));
  }
  if (state == VIR_DOMAIN_SHUTOFF) return reason == VIR_DOMAIN_SHUTOFF_MIGRATED;
  return state == VIR_DOMAIN_PAUSED &&
         (reason == VIR_DOMAIN_PAUSED_MIGRATION || reason == VIR_DOMAIN_PAUSED_POSTCOPY);
}

StatusOr<std::string> Domain::XmlDesc(unsigned int flags) const {
  OwnedCString xml(virDomainGetXMLDesc(handle_.get(), flags));
  if (!xml) {
    return LastLibvirtError(fmt::format("XML of domain '{}'", Name()));
  }
  return std::string(xml.get());
}

Status Domain::Start() {
  if (virDomainCreate(handle_.get()) < 0) {
    return LastLibvirtError(fmt::format("start domain '{}'", Name()));
  }
  return absl::OkStatus();
}

Status Domain::Destroy() {
  if (virDomainDestroy(handle_.get()) < 0) {
    return LastLibvirtError(fmt::format("destroy domain '{}'", Name()));
  }
  return absl::OkStatus();
}

StatusOr<Domain::Info> Domain::GetInfo() const {
  virDomainInfo info{};
  if (virDomainGetInfo(handle_.get(), &info) < 0) {
    return LastLibvirtError(fmt::format("info of domain '{}'", Name()));
  }
  return Info{.cpu_time_ns = info.cpuTime, .memory_kib = info.memory, .vcpus = info.nrVirtCpu};
}

namespace {
// Runs one of libvirt's simple domain calls, naming it and the domain on failure.
template <typename Fn>
Status Call(Fn fn, virDomainPtr dom, std::string_view what, const std::string& name) {
  if (fn(dom) < 0) return LastLibvirtError(fmt::format("{} domain '{}'", what, name));
  return absl::OkStatus();
}
}  // namespace

Status Domain::Shutdown() {
  return Call([](virDomainPtr d) { return virDomainShutdown(d); }, handle_.get(), "shut down",
              Name());
}

Status Domain::Reboot() {
  return Call([](virDomainPtr d) { return virDomainReboot(d, 0); }, handle_.get(), "reboot",
              Name());
}

Status Domain::Reset() {
  return Call([](virDomainPtr d) { return virDomainReset(d, 0); }, handle_.get(), "reset", Name());
}

Status Domain::Suspend() {
  return Call([](virDomainPtr d) { return virDomainSuspend(d); }, handle_.get(), "pause", Name());
}

Status Domain::Resume() {
  return Call([](virDomainPtr d) { return virDomainResume(d); }, handle_.get(), "resume", Name());
}

Status Domain::AttachLiveDevice(std::string_view device_xml) {
  const std::string xml(device_xml);
  if (virDomainAttachDeviceFlags(handle_.get(), xml.c_str(), VIR_DOMAIN_AFFECT_LIVE) < 0) {
    return LastLibvirtError(fmt::format("hot-plug a device into domain '{}'", Name()));
  }
  return absl::OkStatus();
}

Status Domain::DetachLiveDevice(std::string_view device_xml) {
  const std::string xml(device_xml);
  if (virDomainDetachDeviceFlags(handle_.get(), xml.c_str(), VIR_DOMAIN_AFFECT_LIVE) < 0) {
    return LastLibvirtError(fmt::format("unplug a device from domain '{}'", Name()));
  }
  return absl::OkStatus();
}

Status Domain::Undefine() {
  if (virDomainUndefineFlags(handle_.get(), 0) < 0) {
    return LastLibvirtError(fmt::format("undefine domain '{}'", Name()));
  }
  return absl::OkStatus();
}

StatusOr<bool> Domain::Autostart() const {
  int autostart = 0;
  if (virDomainGetAutostart(handle_.get(), &autostart) < 0) {
    return LastLibvirtError(fmt::format("read autostart of domain '{}'", Name()));
  }
  return autostart != 0;
}

Status Domain::SetAutostart(bool autostart) {
  if (virDomainSetAutostart(handle_.get(), autostart ? 1 : 0) < 0) {
    return LastLibvirtError(fmt::format("set autostart of domain '{}'", Name()));
  }
  return absl::OkStatus();
}

StatusOr<std::optional<std::string>> Domain::LiveMetadata(const std::string& uri) const {
  char* xml = virDomainGetMetadata(handle_.get(), VIR_DOMAIN_METADATA_ELEMENT, uri.c_str(),
                                   VIR_DOMAIN_AFFECT_LIVE);
  if (xml == nullptr) {
    const virErrorPtr error = virGetLastError();
    if (error != nullptr && error->code == VIR_ERR_NO_DOMAIN_METADATA) {
      return std::optional<std::string>();
    }
    return LastLibvirtError(fmt::format("read live metadata of domain '{}'", Name()));
  }
  const std::unique_ptr<char, decltype(&free)> owned(xml, &free);
  return std::optional<std::string>(xml);
}

Status Domain::SetLiveMetadata(const std::string& element_xml, const std::string& prefix,
                               const std::string& uri) {
  if (virDomainSetMetadata(handle_.get(), VIR_DOMAIN_METADATA_ELEMENT, element_xml.c_str(),
                           prefix.c_str(), uri.c_str(), VIR_DOMAIN_AFFECT_LIVE) < 0) {
    return LastLibvirtError(fmt::format("set live metadata of domain '{}'", Name()));
  }
  return absl::OkStatus();
}

Status Domain::MigrateToPeer(const MigrateOptions& options) {
  TypedParams params;
  if (!options.stream_uri.empty() &&
      virTypedParamsAddString(params.params_out(), params.count_out(), params.capacity_out(),
                              VIR_MIGRATE_PARAM_URI, options.stream_uri.c_str()) < 0) {
    return LastLibvirtError("migration parameter uri");
  }
  if (options.bandwidth_mibps > 0 &&
      virTypedParamsAddULLong(params.params_out(), params.count_out(), params.capacity_out(),
                              VIR_MIGRATE_PARAM_BANDWIDTH, options.bandwidth_mibps) < 0) {
    return LastLibvirtError("migration parameter bandwidth");
  }
  unsigned int flags =
      VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE;
  if (options.offline) {
    flags |= VIR_MIGRATE_OFFLINE;
  } else {
    if (options.live) flags |= VIR_MIGRATE_LIVE;
    if (options.auto_converge) flags |= VIR_MIGRATE_AUTO_CONVERGE;
  }
  if (virDomainMigrateToURI3(handle_.get(), options.destination_uri.c_str(), params.params(),
                             static_cast<unsigned int>(params.count()), flags) < 0) {
    return LastLibvirtError(
        fmt::format("migrate domain '{}' to {}", Name(), options.destination_uri));
  }
  return absl::OkStatus();
}

StatusOr<JobStats> Domain::GetJobStats(bool completed) const {
  TypedParams params;
  int type = VIR_DOMAIN_JOB_NONE;
  if (virDomainGetJobStats(handle_.get(), &type, params.params_out(), params.count_out(),
                           completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0) < 0) {
    return LastLibvirtError(fmt::format("job stats of domain '{}'", Name()));
  }
  JobStats stats;
  stats.active = type == VIR_DOMAIN_JOB_BOUNDED || type == VIR_DOMAIN_JOB_UNBOUNDED;
  auto read = [&params](const char* name, uint64_t* out) {
    unsigned long long value = 0;  // NOLINT(google-runtime-int): libvirt's type
    if (virTypedParamsGetULLong(params.params(), params.count(), name, &value) == 1) {
      *out = value;
    }
  };
  read(VIR_DOMAIN_JOB_DATA_TOTAL, &stats.data_total);
  read(VIR_DOMAIN_JOB_DATA_PROCESSED, &stats.data_processed);
  read(VIR_DOMAIN_JOB_DATA_REMAINING, &stats.data_remaining);
  read(VIR_DOMAIN_JOB_DOWNTIME, &stats.downtime_ms);
  read(VIR_DOMAIN_JOB_TIME_ELAPSED, &stats.elapsed_ms);
  return stats;
}

Status Domain::AbortJob() {
  return Call([](virDomainPtr d) { return virDomainAbortJob(d); }, handle_.get(),
              "abort the job of", Name());
}

Status Domain::SetMaxDowntime(uint64_t ms) {
  if (virDomainMigrateSetMaxDowntime(handle_.get(), ms, 0) < 0) {
    return LastLibvirtError(fmt::format("set the maximum downtime of domain '{}'", Name()));
  }
  return absl::OkStatus();
}

}  // namespace hvagent::libvirt
