#include "hvagent_test/test_guest.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <pugixml.hpp>

#include "hvagent/compute/domain_type_probe.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {

TestGuestImage DefaultTestGuest() {
  return {BuildDir() + "/test-guest/vmlinuz", BuildDir() + "/test-guest/initrd.img"};
}

namespace {
std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}
}  // namespace

std::string GuestAddressUp(const std::string& dev, const std::string& cidr) {
  return "ip link set " + dev + " up\nip addr add " + cidr + " dev " + dev + "\n";
}

std::string GuestCmdline(const std::string& script) {
  return "console=ttyS0 panic=-1 quiet hvtest=" + Base64(script);
}

std::string TestDomainXml(const TestDomainSpec& spec, const TestGuestImage& image) {
  pugi::xml_document doc;
  auto domain = doc.append_child("domain");
  domain.append_attribute("type") = spec.type.c_str();
  domain.append_child("name").text() = spec.name.c_str();
  auto memory = domain.append_child("memory");
  memory.append_attribute("unit") = "MiB";
  memory.text() = spec.memory_mib;
  domain.append_child("vcpu").text() = 1;
  auto os = domain.append_child("os");
  auto type = os.append_child("type");
  type.append_attribute("arch") = "x86_64";
  type.append_attribute("machine") = "pc";
  type.text() = "hvm";
  os.append_child("kernel").text() = image.kernel.c_str();
  os.append_child("initrd").text() = image.initrd.c_str();
  os.append_child("cmdline").text() = GuestCmdline(spec.script).c_str();
  // ACPI lets the guest power itself off.
  auto features = domain.append_child("features");
  features.append_child("acpi");
  features.append_child("apic");
  domain.append_child("on_poweroff").text() = "destroy";
  domain.append_child("on_reboot").text() = "destroy";
  domain.append_child("on_crash").text() = "destroy";
  auto devices = domain.append_child("devices");
  for (const TestNic& nic : spec.nics) {
    auto iface = devices.append_child("interface");
    iface.append_attribute("type") = "ethernet";
    iface.append_child("mac").append_attribute("address") = nic.mac.c_str();
    auto target = iface.append_child("target");
    target.append_attribute("dev") = nic.tap.c_str();
    target.append_attribute("managed") = "no";
    iface.append_child("model").append_attribute("type") = "virtio";
  }
  auto serial = devices.append_child("serial");
  serial.append_attribute("type") = "file";
  serial.append_child("source").append_attribute("path") = spec.console_log.c_str();
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

bool WaitForShutOff(libvirt::Domain& domain, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto state = domain.State();
    if (state.ok() && *state == libvirt::DomainState::kShutOff) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string DetectDomainType(libvirt::Connection& conn, const std::string& scratch_dir) {
  auto choice = compute::ProbeDomainType(conn, {.work_dir = scratch_dir + "/probe"});
  if (!choice.ok()) {
    std::cerr << "test guests: domain type qemu (the probe failed: " << choice.status() << ")\n";
    return "qemu";
  }
  // Every test log says which domain type its guests ran under.
  std::cerr << "test guests: domain type " << choice->reason << "\n";
  return choice->type == compute::DomainType::kKvm ? "kvm" : "qemu";
}

}  // namespace hvagent::testing
