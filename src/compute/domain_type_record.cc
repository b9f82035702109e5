#include "hvagent/compute/domain_type_record.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <utility>

#include <pugixml.hpp>

#include "fmt/ranges.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

using Field = std::pair<std::string_view, const std::string*>;

// A verdict is reused for a day at most: a probe that missed its deadline
// only because the host was overloaded at that start (a "qemu" that should
// have been "kvm") is not kept for the whole boot.
constexpr int64_t kVerdictMaxAgeMs = 24 * 3600 * 1000;

std::array<Field, 6> FieldsOf(const DomainTypeProbeKey& key) {
  return {{{"kernel", &key.kernel_release},
           {"boot", &key.boot_id},
           {"libvirt", &key.libvirt_version},
           {"qemu", &key.qemu},
           {"kvm", &key.kvm},
           {"setting", &key.setting}}};
}

int64_t Nanoseconds(const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

std::string FirstLineOf(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UtcTime(int64_t unix_ms) {
  const std::time_t seconds = unix_ms / 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

std::string TypeName(DomainType type) { return type == DomainType::kKvm ? "kvm" : "qemu"; }

// The recorded verdict when it was found under `key`; nullopt otherwise
// (nothing recorded, another key, or a store that cannot be read: logged).
std::optional<DomainTypeChoice> RecordedFor(const DomainTypeProbeKey& key,
                                            store::DomainTypeVerdictStore& records) {
  auto recorded = records.Get();
  if (!recorded.ok()) {
    spdlog::warn("domain type: cannot read the recorded verdict, probing: {}", recorded.status());
    return std::nullopt;
  }
  if (!recorded->has_value()) {
    spdlog::info("domain type: no verdict recorded yet, probing");
    return std::nullopt;
  }
  const store::DomainTypeVerdictRecord& record = **recorded;
  if (auto changed = key.ChangedSince(record.host_key); !changed.empty()) {
    spdlog::info("domain type: probing again, the host changed since the verdict of {} ({})",
                 UtcTime(record.probed_unix_ms), fmt::join(changed, ", "));
    return std::nullopt;
  }
  if (NowUnixMs() - record.probed_unix_ms > kVerdictMaxAgeMs) {
    spdlog::info("domain type: probing again, the verdict of {} is more than a day old",
                 UtcTime(record.probed_unix_ms));
    return std::nullopt;
  }
  return DomainTypeChoice{
      .type = record.domain_type == "kvm" ? DomainType::kKvm : DomainType::kQemu,
      .reason = fmt::format("{} (recorded at {}, probe skipped)", record.reason,
                            UtcTime(record.probed_unix_ms))};
}

}  // namespace

std::string DomainTypeProbeKey::ToText() const {
  std::string text;
  for (const auto& [name, value] : FieldsOf(*this)) {
    text += fmt::format("{}={}\n", name, *value);
  }
  return text;
}

std::vector<std::string> DomainTypeProbeKey::ChangedSince(std::string_view recorded) const {
  const std::string lines = fmt::format("\n{}", recorded);
  std::vector<std::string> changed;
  for (const auto& [name, value] : FieldsOf(*this)) {
    if (lines.find(fmt::format("\n{}={}\n", name, *value)) == std::string::npos) {
      changed.emplace_back(name);
    }
  }
  return changed;
}

std::string FileIdentity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "absent";
  if (S_ISCHR(st.st_mode)) {
    // A device node by its node and numbers only: its times change with a
    // chmod or chown (the testbed's, udev's), which changes no answer, while
    // a module reload makes a new node.
    return fmt::format("{} ino {} dev {}:{}", path, st.st_ino, major(st.st_rdev),
                       minor(st.st_rdev));
  }
  return fmt::format("{} ino {} size {} mtime {} ctime {}", path, st.st_ino, st.st_size,
                     Nanoseconds(st.st_mtim), Nanoseconds(st.st_ctim));
}

StatusOr<DomainTypeProbeKey> ReadDomainTypeProbeKey(libvirt::Connection& conn,
                                                    std::string_view setting) {
  DomainTypeProbeKey key;
  utsname uts{};
  if (::uname(&uts) != 0) return absl::ErrnoToStatus(errno, "uname");
  key.kernel_release = uts.release;
  key.boot_id = FirstLineOf("/proc/sys/kernel/random/boot_id");
  if (key.boot_id.empty()) return absl::UnavailableError("cannot read the boot id");
  HVAGENT_ASSIGN_OR_RETURN(key.libvirt_version, conn.LibvirtVersion());
  HVAGENT_ASSIGN_OR_RETURN(const std::string caps, conn.CapabilitiesXml());
  pugi::xml_document doc;
  if (!doc.load_string(caps.c_str())) {
    return absl::InternalError("libvirt's capabilities are not XML");
  }
  const std::string emulator =
      doc.select_node("/capabilities/guest[os_type='hvm'][arch/@name='x86_64']/arch/emulator")
          .node()
          .text()
          .as_string();
  key.qemu = emulator.empty() ? "none offered" : FileIdentity(emulator);
  key.kvm = FileIdentity("/dev/kvm");
  key.setting = setting;
  return key;
}

StatusOr<DomainTypeChoice> ChooseWithRecord(
    const StatusOr<DomainTypeProbeKey>& key, store::DomainTypeVerdictStore* records,
    const std::function<StatusOr<DomainTypeChoice>()>& probe) {
  if (!key.ok()) {
    spdlog::warn("domain type: cannot tell whether the host changed, probing: {}", key.status());
  } else if (records != nullptr) {
    if (auto recorded = RecordedFor(*key, *records)) return *recorded;
  }
  HVAGENT_ASSIGN_OR_RETURN(DomainTypeChoice choice, probe());
  if (key.ok() && records != nullptr && choice.lasting) {
    const store::DomainTypeVerdictRecord record{.host_key = key->ToText(),
                                                .domain_type = TypeName(choice.type),
                                                .reason = choice.reason,
                                                .probed_unix_ms = NowUnixMs()};
    if (Status kept = records->Put(record); !kept.ok()) {
      spdlog::warn("domain type: cannot record the verdict, the next start probes again: {}", kept);
    }
  }
  return choice;
}

}  // namespace hvagent::compute
