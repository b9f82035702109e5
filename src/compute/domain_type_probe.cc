#include "hvagent/compute/domain_type_probe.h"

#include <unistd.h>

#include <sstream>
#include <thread>

#include <pugixml.hpp>

#include "hvagent/common/uuid.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

bool OffersKvm(libvirt::Connection& conn) {
  auto caps = conn.CapabilitiesXml();
  if (!caps.ok()) return false;
  pugi::xml_document doc;
  if (!doc.load_string(caps->c_str())) return false;
  return static_cast<bool>(
      doc.select_node("/capabilities/guest[os_type='hvm'][arch/@name='x86_64']"
                      "/arch/domain[@type='kvm']"));
}

std::string ProbeXml() {
  pugi::xml_document doc;
  auto domain = doc.append_child("domain");
  domain.append_attribute("type") = "kvm";
  domain.append_child("name").text() = ("hvagent-kvm-probe-" + NewUuid().substr(0, 8)).c_str();
  auto memory = domain.append_child("memory");
  memory.append_attribute("unit") = "MiB";
  memory.text() = 32;
  domain.append_child("vcpu").text() = 1;
  auto type = domain.append_child("os").append_child("type");
  type.append_attribute("arch") = "x86_64";
  type.text() = "hvm";
  domain.append_child("on_crash").text() = "destroy";
  std::ostringstream out;
  doc.save(out);
  return out.str();
}

}  // namespace

DomainType DetectDomainType(libvirt::Connection& conn) {
  if (!OffersKvm(conn)) {
    spdlog::info("domain type: qemu (libvirt offers no KVM here)");
    return DomainType::kQemu;
  }
  // The firmware runs real guest code; where KVM is broken QEMU stops the
  // guest with an internal error (paused or crashed) within moments.
  auto probe = conn.CreateTransientDomain(ProbeXml());
  if (!probe.ok()) {
    spdlog::warn("domain type: qemu (a KVM guest does not start: {})", probe.status());
    return DomainType::kQemu;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto state = probe->State();
  const bool runs = state.ok() && *state == libvirt::DomainState::kRunning;
  (void)probe->Destroy();
  spdlog::info("domain type: {}", runs ? "kvm" : "qemu (KVM stops guests on this host)");
  return runs ? DomainType::kKvm : DomainType::kQemu;
}

}  // namespace hvagent::compute
