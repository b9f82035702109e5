#include "hvagent/compute/domain_type_probe.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <pugixml.hpp>

#include "hvagent/common/uuid.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

constexpr std::string_view kLongModeMarker = "hvagent-probe: long mode";
constexpr std::string_view kRanMarker = "hvagent-probe: ok";

std::string ProbeDomainXml(const std::string& name, DomainType type, const std::string& image,
                           const std::string& serial_log) {
  pugi::xml_document doc;
  auto domain = doc.append_child("domain");
  domain.append_attribute("type") = type == DomainType::kKvm ? "kvm" : "qemu";
  domain.append_child("name").text() = name.c_str();
  auto memory = domain.append_child("memory");
  memory.append_attribute("unit") = "MiB";
  memory.text() = 32;  // the image works on 4–20 MiB
  domain.append_child("vcpu").text() = 1;
  auto os = domain.append_child("os");
  auto os_type = os.append_child("type");
  os_type.append_attribute("arch") = "x86_64";
  os_type.text() = "hvm";
  os.append_child("kernel").text() = image.c_str();
  domain.append_child("on_poweroff").text() = "destroy";
  domain.append_child("on_reboot").text() = "destroy";
  domain.append_child("on_crash").text() = "destroy";
  auto devices = domain.append_child("devices");
  auto serial = devices.append_child("serial");
  serial.append_attribute("type") = "file";
  serial.append_child("source").append_attribute("path") = serial_log.c_str();
  // Nothing else: no disks, NICs, graphics or USB to slow the start.
  devices.append_child("memballoon").append_attribute("model") = "none";
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Status WriteWhole(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    return absl::FailedPreconditionError(fmt::format("cannot write the probe image '{}'", path));
  }
  return absl::OkStatus();
}

std::string Seconds(std::chrono::milliseconds ms) {
  return ms.count() % 1000 == 0 ? fmt::format("{} s", ms.count() / 1000)
                                : fmt::format("{:.1f} s", static_cast<double>(ms.count()) / 1000);
}

}  // namespace

StatusOr<bool> OffersKvm(libvirt::Connection& conn) {
  HVAGENT_ASSIGN_OR_RETURN(const std::string caps, conn.CapabilitiesXml());
  pugi::xml_document doc;
  if (!doc.load_string(caps.c_str())) {
    return absl::InternalError("libvirt's capabilities are not XML");
  }
  return static_cast<bool>(
      doc.select_node("/capabilities/guest[os_type='hvm'][arch/@name='x86_64']"
                      "/arch/domain[@type='kvm']"));
}

void RemoveStaleProbeDomains(libvirt::Connection& conn) {
  auto domains = conn.ListAllDomains();
  if (!domains.ok()) {
    spdlog::warn("cannot list domains for stale probe guests: {}", domains.status());
    return;
  }
  for (libvirt::Domain& domain : *domains) {
    if (!IsProbeDomainName(domain.Name())) continue;
    if (Status destroyed = domain.Destroy(); !destroyed.ok()) {
      spdlog::warn("cannot destroy the stale probe guest {}: {}", domain.Name(), destroyed);
    } else {
      spdlog::info("destroyed the probe guest {} a previous run left", domain.Name());
    }
  }
}

ProbeRun RunProbeGuest(libvirt::Connection& conn, DomainType type, const ProbeOptions& options) {
  ProbeRun run;
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  const std::string id = NewUuid().substr(0, 8);
  const std::string image = options.work_dir + "/probe-" + id + ".img";
  const std::string serial_log = options.work_dir + "/probe-" + id + ".log";
  if (Status written = WriteWhole(image, options.image); !written.ok()) {
    run.error = MessageOf(written);
    return run;
  }
  auto start = std::chrono::steady_clock::now();
  auto domain = conn.CreateTransientDomain(
      ProbeDomainXml(std::string(kProbeDomainPrefix) + id, type, image, serial_log));
  if (!domain.ok()) {
    run.error = MessageOf(domain.status());
  } else {
    // The guest's own time counts, not QEMU's start-up (slower on a busy host).
    start = std::chrono::steady_clock::now();
    run.outcome = ProbeRun::Outcome::kSilent;
    const auto deadline = start + options.deadline;
    while (true) {
      const std::string serial = ReadWhole(serial_log);
      if (serial.find(kRanMarker) != std::string::npos) {
        run.outcome = ProbeRun::Outcome::kRan;
        break;
      }
      if (serial.find(kLongModeMarker) != std::string::npos) {
        run.outcome = ProbeRun::Outcome::kLongModeOnly;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Transient: destroying it also removes its definition.
    if (Status destroyed = domain->Destroy(); !destroyed.ok()) {
      spdlog::warn("cannot destroy the probe guest {}: {}", domain->Name(), destroyed);
    }
  }
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::filesystem::remove(image, ec);
  std::filesystem::remove(serial_log, ec);
  return run;
}

DomainTypeChoice DecideDomainType(bool kvm_offered, const std::optional<ProbeRun>& kvm_run,
                                  std::chrono::milliseconds deadline) {
  if (!kvm_offered) {
    return {DomainType::kQemu, "qemu: libvirt offers no KVM for x86_64 guests on this host"};
  }
  if (!kvm_run) return {DomainType::kQemu, "qemu: KVM offered but not probed"};
  const std::string within = Seconds(deadline);
  switch (kvm_run->outcome) {
    case ProbeRun::Outcome::kRan:
      return {DomainType::kKvm, fmt::format("kvm: a 64-bit guest ran under KVM in {:.2f} s",
                                            static_cast<double>(kvm_run->elapsed.count()) / 1000)};
    case ProbeRun::Outcome::kLongModeOnly:
      return {DomainType::kQemu,
              fmt::format("qemu: KVM offered but a 64-bit guest did not run within {} (it reached "
                          "long mode, then ran too slowly to finish)",
                          within)};
    case ProbeRun::Outcome::kSilent:
      return {DomainType::kQemu,
              fmt::format("qemu: KVM offered but a 64-bit guest did not run within {}", within)};
    case ProbeRun::Outcome::kNotStarted: break;
  }
  return {DomainType::kQemu,
          fmt::format("qemu: KVM offered but a guest does not start under it: {}", kvm_run->error),
          /*lasting=*/false};
}

StatusOr<DomainTypeChoice> ProbeDomainType(libvirt::Connection& conn, const ProbeOptions& options) {
  RemoveStaleProbeDomains(conn);
  HVAGENT_ASSIGN_OR_RETURN(const bool kvm_offered, OffersKvm(conn));
  std::optional<ProbeRun> run;
  if (kvm_offered) run = RunProbeGuest(conn, DomainType::kKvm, options);
  return DecideDomainType(kvm_offered, run, options.deadline);
}

}  // namespace hvagent::compute
