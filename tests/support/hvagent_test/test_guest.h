// The tiny test guest (scripts/build-test-guest.sh) and domains that boot it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/libvirt/connection.h"

namespace hvagent::testing {

struct TestGuestImage {
  std::string kernel;
  std::string initrd;
};

// The image built into the build tree by the test_guest target.
TestGuestImage DefaultTestGuest();

// The kernel command line that makes the guest run `script` (shell), print
// "hvtest: exit N" and power off.
std::string GuestCmdline(const std::string& script);

// The lines of a guest script that bring `dev` up with address `cidr`.
std::string GuestAddressUp(const std::string& dev, const std::string& cidr);

struct TestNic {
  std::string tap;  // an existing tap device (type='ethernet', managed='no')
  std::string mac;
};

struct TestDomainSpec {
  std::string name;
  std::string type = "qemu";  // "kvm" or "qemu"
  int memory_mib = 256;
  std::string script;       // run by the guest
  std::string console_log;  // serial console file
  std::vector<TestNic> nics;
};

// Domain XML for the spec, built with pugixml.
std::string TestDomainXml(const TestDomainSpec& spec, const TestGuestImage& image);

// The agent's own choice (compute::ProbeDomainType), so that the tests and
// the agent never disagree: "kvm" when a 64-bit probe guest runs under KVM
// in time, else "qemu" (TCG). Prints the reason to stderr.
std::string DetectDomainType(libvirt::Connection& conn, const std::string& scratch_dir);

// A probe image that halts without printing its markers (built from the same
// source with HVAGENT_PROBE_SILENT): what a guest that never proves itself does.
std::string_view SilentProbeImage();

// Polls until the domain is shut off; false on timeout.
bool WaitForShutOff(libvirt::Domain& domain, std::chrono::seconds timeout);

std::string ReadFile(const std::string& path);

}  // namespace hvagent::testing
