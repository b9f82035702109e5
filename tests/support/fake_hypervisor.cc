#include "hvagent_test/fake_hypervisor.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <pugixml.hpp>

#include "hvagent/common/uuid.h"

namespace hvagent::testing {

using compute::DomainState;
using compute::HypervisorDomain;
using compute::IsActive;

namespace {

Status NotRunning(const FakeHypervisor::Record& record) {
  return absl::FailedPreconditionError(
      fmt::format("Requested operation is not valid: domain '{}' is not running", record.name));
}

// A device as libvirt tells it apart from the domain's others.
std::string DeviceIdentity(const pugi::xml_node& device) {
  std::string kind = device.name();
  if (kind == "interface") {
    return fmt::format("interface {}", device.child("mac").attribute("address").as_string());
  }
  if (kind == "disk") {
    return fmt::format("disk {}", device.child("target").attribute("dev").as_string());
  }
  return kind;
}

StatusOr<std::string> DeviceIdentity(std::string_view device_xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(device_xml.data(), device_xml.size()) || !doc.first_child()) {
    return absl::InvalidArgumentError("XML error: malformed device");
  }
  return DeviceIdentity(doc.first_child());
}

// The NICs and disks a domain defined by `xml` starts with.
std::vector<std::string> BootDevices(const std::string& xml) {
  pugi::xml_document doc;
  doc.load_string(xml.c_str());
  std::vector<std::string> devices;
  for (const pugi::xml_node& device : doc.child("domain").child("devices").children()) {
    const std::string kind = device.name();
    if (kind == "interface" || kind == "disk") devices.push_back(DeviceIdentity(device));
  }
  return devices;
}

}  // namespace

// A handle on one domain, by UUID, like virDomainPtr: it outlives the domain.
class FakeHypervisor::Domain final : public HypervisorDomain {
 public:
  Domain(FakeHypervisor& fake, std::string name, std::string uuid)
      : fake_(fake), name_(std::move(name)), uuid_(std::move(uuid)) {}

  const std::string& Name() const override { return name_; }

  StatusOr<std::string> Uuid() const override {
    std::lock_guard lock(fake_.mu_);
    HVAGENT_RETURN_IF_ERROR(fake_.Enter("Uuid", name_));
    return uuid_;
  }
  StatusOr<DomainState> State() const override {
    return Read<DomainState>("State", [](Record& r) { return r.state; });
  }
  StatusOr<bool> StartingUp() const override {
    return Read<bool>("StartingUp", [](Record& r) {
      if (r.state != compute::DomainState::kPaused || r.starting_up_reads == 0) return false;
      if (--r.starting_up_reads == 0) r.state = compute::DomainState::kRunning;
      return true;
    });
  }
  StatusOr<bool> HeldByMigration() const override {
    return Read<bool>("HeldByMigration", [](Record& r) {
      if (r.handed_over_reads == 0) return false;
      --r.handed_over_reads;
      return true;
    });
  }
  StatusOr<std::string> PersistentXml() const override {
    return Read<std::string>("PersistentXml", [](Record& r) { return r.xml; });
  }
  StatusOr<compute::DomainUsage> Usage() const override {
    return Read<compute::DomainUsage>("Usage", [](Record& r) {
      return IsActive(r.state) ? compute::DomainUsage{.cpu_time_ns = 1'000'000, .memory_kib = 65536}
                               : compute::DomainUsage{};
    });
  }

  Status Start() override {
    return Change("Start", [this](Record& r) -> Status {
      if (r.state != DomainState::kShutOff) {
        return absl::FailedPreconditionError(fmt::format(
            "Requested operation is not valid: domain '{}' is already running", r.name));
      }
      r.state = DomainState::kRunning;
      r.live_devices = BootDevices(r.xml);
      return absl::OkStatus();
    });
  }
  Status Destroy() override {
    return Change("Destroy", [this](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      fake_.Stop(r);
      return absl::OkStatus();
    });
  }
  Status Undefine() override {
    return Change("Undefine", [this](Record& r) -> Status {
      if (!r.persistent) {
        return absl::FailedPreconditionError(fmt::format(
            "Requested operation is not valid: cannot undefine transient domain '{}'", r.name));
      }
      if (IsActive(r.state)) {
        r.persistent = false;
      } else {
        fake_.domains_.erase(uuid_);
      }
      return absl::OkStatus();
    });
  }
  Status Shutdown() override {
    return Change("Shutdown", [this](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      // A paused guest cannot answer the request.
      if (fake_.honour_acpi_ && r.state == DomainState::kRunning) fake_.Stop(r);
      return absl::OkStatus();
    });
  }
  Status Reboot() override {
    return Change("Reboot", [](Record& r) -> Status {
      return IsActive(r.state) ? absl::OkStatus() : NotRunning(r);
    });
  }
  Status Reset() override {
    return Change("Reset", [](Record& r) -> Status {
      return IsActive(r.state) ? absl::OkStatus() : NotRunning(r);
    });
  }
  Status Suspend() override {
    return Change("Suspend", [](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      r.state = DomainState::kPaused;
      return absl::OkStatus();
    });
  }
  Status Resume() override {
    return Change("Resume", [](Record& r) -> Status {
      if (r.state != DomainState::kPaused) {
        return absl::FailedPreconditionError(
            fmt::format("Requested operation is not valid: domain '{}' is not paused", r.name));
      }
      r.state = DomainState::kRunning;
      return absl::OkStatus();
    });
  }
  Status AttachLiveDevice(std::string_view device_xml) override {
    return Change("AttachLiveDevice", [&](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      HVAGENT_ASSIGN_OR_RETURN(std::string device, DeviceIdentity(device_xml));
      if (std::find(r.live_devices.begin(), r.live_devices.end(), device) != r.live_devices.end()) {
        return absl::InvalidArgumentError(
            fmt::format("operation failed: {} already in the domain", device));
      }
      r.live_devices.push_back(std::move(device));
      return absl::OkStatus();
    });
  }
  Status DetachLiveDevice(std::string_view device_xml) override {
    return Change("DetachLiveDevice", [&](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      HVAGENT_ASSIGN_OR_RETURN(const std::string device, DeviceIdentity(device_xml));
      const auto it = std::find(r.live_devices.begin(), r.live_devices.end(), device);
      if (it == r.live_devices.end()) {
        return absl::InvalidArgumentError(
            fmt::format("operation failed: matching device {} was not found", device));
      }
      r.live_devices.erase(it);
      return absl::OkStatus();
    });
  }
  StatusOr<bool> HasLiveDevice(std::string_view device_xml) const override {
    HVAGENT_ASSIGN_OR_RETURN(const std::string device, DeviceIdentity(device_xml));
    return Read<bool>("HasLiveDevice", [&](Record& r) {
      return std::find(r.live_devices.begin(), r.live_devices.end(), device) !=
             r.live_devices.end();
    });
  }
  StatusOr<std::optional<std::string>> LiveMetadata(const std::string& uri) const override {
    std::lock_guard lock(fake_.mu_);
    HVAGENT_RETURN_IF_ERROR(fake_.Enter("LiveMetadata", name_));
    HVAGENT_ASSIGN_OR_RETURN(Record * r, fake_.Live(uuid_));
    if (!IsActive(r->state)) return NotRunning(*r);
    const auto it = r->live_metadata.find(uri);
    if (it == r->live_metadata.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status SetLiveMetadata(const std::string& element_xml, const std::string& /*prefix*/,
                         const std::string& uri) override {
    return Change("SetLiveMetadata", [&](Record& r) -> Status {
      if (!IsActive(r.state)) return NotRunning(r);
      r.live_metadata[uri] = element_xml;
      return absl::OkStatus();
    });
  }
  // A migration takes the fake's migration_steps_ steps of 10 ms (the lock
  // released between them, so Job and AbortJob answer meanwhile), 1 MiB each;
  // at the end the domain is gone here, as with UNDEFINE_SOURCE.
  Status MigrateToPeer(const compute::MigrationTarget& target) override {
    int steps = 0;
    HVAGENT_RETURN_IF_ERROR(Change("MigrateToPeer", [&](Record& r) -> Status {
      if (target.offline ? IsActive(r.state) : !IsActive(r.state)) {
        return absl::FailedPreconditionError(
            fmt::format("Requested operation is not valid: domain '{}' is {}", r.name,
                        target.offline ? "running" : "not running"));
      }
      if (r.migrating) return absl::FailedPreconditionError("a job is already running");
      r.migrating = true;
      r.abort_requested = false;
      r.migration_processed = 0;
      steps = fake_.migration_steps_;
      return absl::OkStatus();
    }));
    for (int i = 0; i < steps; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::lock_guard lock(fake_.mu_);
      HVAGENT_ASSIGN_OR_RETURN(Record * r, fake_.Live(uuid_));
      if (r->abort_requested) {
        r->migrating = false;
        return absl::AbortedError("operation aborted: migration out job: canceled by client");
      }
      r->migration_processed += 1 << 20;
    }
    std::lock_guard lock(fake_.mu_);
    fake_.migrations_.push_back(fmt::format("{} -> {}", name_, target.libvirt_uri));
    if (FakeHypervisor* there = fake_.migration_destination_; there != nullptr) {
      HVAGENT_ASSIGN_OR_RETURN(Record * r, fake_.Live(uuid_));
      Record arrived = *r;
      arrived.persistent = true;
      arrived.migrating = false;
      std::lock_guard there_lock(there->mu_);
      there->domains_[uuid_] = std::move(arrived);
    }
    fake_.domains_.erase(uuid_);
    return absl::OkStatus();
  }
  StatusOr<compute::MigrationJob> Job(bool completed) const override {
    return Read<compute::MigrationJob>("Job", [&](Record& r) {
      if (completed || !r.migrating) return compute::MigrationJob{};
      const uint64_t total = static_cast<uint64_t>(fake_.migration_steps_) << 20;
      return compute::MigrationJob{.active = true,
                                   .data_total = total,
                                   .data_processed = r.migration_processed,
                                   .data_remaining = total - r.migration_processed};
    });
  }
  Status AbortJob() override {
    return Change("AbortJob", [](Record& r) -> Status {
      if (!r.migrating) {
        return absl::FailedPreconditionError("Requested operation is not valid: no job is active");
      }
      r.abort_requested = true;
      return absl::OkStatus();
    });
  }
  Status SetMaxDowntime(uint64_t /*ms*/) override {
    return Change("SetMaxDowntime", [](Record& r) -> Status {
      return r.migrating ? absl::OkStatus()
                         : absl::FailedPreconditionError("no migration job is active");
    });
  }

 private:
  template <typename T, typename F>
  StatusOr<T> Read(const char* call, F read) const {
    std::lock_guard lock(fake_.mu_);
    HVAGENT_RETURN_IF_ERROR(fake_.Enter(call, name_));
    HVAGENT_ASSIGN_OR_RETURN(Record * r, fake_.Live(uuid_));
    return read(*r);
  }
  template <typename F>
  Status Change(const char* call, F change) {
    std::lock_guard lock(fake_.mu_);
    HVAGENT_RETURN_IF_ERROR(fake_.Enter(call, name_));
    HVAGENT_ASSIGN_OR_RETURN(Record * r, fake_.Live(uuid_));
    return change(*r);
  }

  FakeHypervisor& fake_;
  const std::string name_;
  const std::string uuid_;
};

void FakeHypervisor::Fail(const std::string& call, Status status, int after) {
  std::lock_guard lock(mu_);
  failures_[call] = {std::move(status), after};
}

void FakeHypervisor::Heal(const std::string& call) {
  std::lock_guard lock(mu_);
  failures_.erase(call);
}

void FakeHypervisor::set_guests_honour_acpi(bool honour) {
  std::lock_guard lock(mu_);
  honour_acpi_ = honour;
}

void FakeHypervisor::set_migration_steps(int steps) {
  std::lock_guard lock(mu_);
  migration_steps_ = steps;
}

void FakeHypervisor::set_migration_destination(FakeHypervisor* destination) {
  std::lock_guard lock(mu_);
  migration_destination_ = destination;
}

std::vector<std::string> FakeHypervisor::Migrations() const {
  std::lock_guard lock(mu_);
  return migrations_;
}

void FakeHypervisor::set_domain_type(compute::DomainType type) {
  std::lock_guard lock(mu_);
  domain_type_ = type;
}

void FakeHypervisor::MarkHandedOver(const std::string& name, int reads) {
  std::lock_guard lock(mu_);
  for (auto& [uuid, record] : domains_) {
    if (record.name != name) continue;
    record.state = compute::DomainState::kShutOff;
    record.handed_over_reads = reads;
  }
}

void FakeHypervisor::MarkStartingUp(const std::string& name, int reads) {
  std::lock_guard lock(mu_);
  for (auto& [uuid, record] : domains_) {
    if (record.name != name) continue;
    record.state = compute::DomainState::kPaused;
    record.starting_up_reads = reads;
  }
}

std::optional<FakeHypervisor::Record> FakeHypervisor::Find(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& [uuid, record] : domains_) {
    if (record.name == name) return record;
  }
  return std::nullopt;
}

std::vector<std::string> FakeHypervisor::DomainNames() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [uuid, record] : domains_) names.push_back(record.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> FakeHypervisor::Calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

void FakeHypervisor::ClearCalls() {
  std::lock_guard lock(mu_);
  calls_.clear();
}

Status FakeHypervisor::Enter(const std::string& call, const std::string& subject) {
  calls_.push_back(subject.empty() ? call : fmt::format("{} {}", call, subject));
  const auto it = failures_.find(call);
  if (it == failures_.end()) return absl::OkStatus();
  if (it->second.after > 0) {
    --it->second.after;
    return absl::OkStatus();
  }
  return it->second.status;
}

StatusOr<FakeHypervisor::Record*> FakeHypervisor::Live(const std::string& uuid) {
  const auto it = domains_.find(uuid);
  if (it == domains_.end()) {
    return absl::NotFoundError(fmt::format("Domain not found: no domain with UUID {}", uuid));
  }
  return &it->second;
}

void FakeHypervisor::Stop(Record& record) {
  record.state = DomainState::kShutOff;
  record.live_devices.clear();
  record.live_metadata.clear();
  if (!record.persistent) domains_.erase(record.uuid);
}

std::unique_ptr<HypervisorDomain> FakeHypervisor::Handle(const Record& record) {
  return std::make_unique<Domain>(*this, record.name, record.uuid);
}

StatusOr<std::unique_ptr<HypervisorDomain>> FakeHypervisor::LookupDomain(const std::string& name) {
  std::lock_guard lock(mu_);
  HVAGENT_RETURN_IF_ERROR(Enter("LookupDomain", name));
  for (const auto& [uuid, record] : domains_) {
    if (record.name == name) return Handle(record);
  }
  return absl::NotFoundError(fmt::format("Domain not found: no domain with name '{}'", name));
}

StatusOr<std::unique_ptr<HypervisorDomain>> FakeHypervisor::DefineDomain(std::string_view xml) {
  pugi::xml_document doc;
  const bool parsed = doc.load_buffer(xml.data(), xml.size());
  const std::string name = doc.child("domain").child("name").text().as_string();
  std::string uuid = doc.child("domain").child("uuid").text().as_string();
  std::lock_guard lock(mu_);
  HVAGENT_RETURN_IF_ERROR(Enter("DefineDomain", name));
  if (!parsed || name.empty()) {
    return absl::InvalidArgumentError("XML error: a domain needs a <name>");
  }
  if (uuid.empty()) uuid = NewUuid();
  for (const auto& [other_uuid, other] : domains_) {
    if (other.name == name && other_uuid != uuid) {
      return absl::AlreadyExistsError(fmt::format(
          "operation failed: domain '{}' already exists with uuid {}", name, other_uuid));
    }
  }
  auto [it, added] = domains_.try_emplace(uuid, Record{.name = name, .uuid = uuid});
  Record& record = it->second;
  if (!added && record.name != name) {
    return absl::AlreadyExistsError(fmt::format(
        "operation failed: domain '{}' already exists with uuid {}", record.name, uuid));
  }
  record.xml = std::string(xml);
  record.persistent = true;
  return Handle(record);
}

StatusOr<std::vector<std::unique_ptr<HypervisorDomain>>> FakeHypervisor::ListDomains() {
  std::lock_guard lock(mu_);
  HVAGENT_RETURN_IF_ERROR(Enter("ListDomains", ""));
  std::vector<std::unique_ptr<HypervisorDomain>> domains;
  for (const auto& [uuid, record] : domains_) domains.push_back(Handle(record));
  return domains;
}

StatusOr<compute::DomainType> FakeHypervisor::GuestDomainType() {
  std::lock_guard lock(mu_);
  HVAGENT_RETURN_IF_ERROR(Enter("GuestDomainType", ""));
  return domain_type_;
}

StatusOr<std::vector<std::string>> FakeHypervisor::MachineTypes() {
  std::lock_guard lock(mu_);
  HVAGENT_RETURN_IF_ERROR(Enter("MachineTypes", ""));
  return machine_types_;
}

}  // namespace hvagent::testing
