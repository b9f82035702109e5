// Two testbeds as two hosts (scripts/testbed-pair), for migration tests: A
// and B, each with its own network namespace, OVS and libvirtd (own host name
// and host UUID), joined by a migration veth (libvirtd on TCP, testbed only)
// and a VXLAN tunnel between their br0s. One pair per test binary.
#pragma once

#include <memory>
#include <string>

#include "hvagent_test/testbed.h"

namespace hvagent::testing {

class TestbedPair {
 public:
  // Brings both hosts up and links them; null with `error` if it cannot.
  static std::unique_ptr<TestbedPair> Start(std::string* error);
  // Takes both hosts down (domains, taps, namespaces, links).
  ~TestbedPair();
  TestbedPair(const TestbedPair&) = delete;
  TestbedPair& operator=(const TestbedPair&) = delete;

  Testbed& a() { return *a_; }
  Testbed& b() { return *b_; }
  // How the other host's libvirtd reaches this one's, over the migration
  // link: "qemu+tcp://172.30.0.1/system" for A.
  const std::string& a_remote_libvirt_uri() const { return a_remote_uri_; }
  const std::string& b_remote_libvirt_uri() const { return b_remote_uri_; }
  // Addresses on the migration link.
  const std::string& a_migration_addr() const { return a_migration_addr_; }
  const std::string& b_migration_addr() const { return b_migration_addr_; }

 private:
  TestbedPair() = default;

  std::string dir_;
  std::unique_ptr<Testbed> a_, b_;
  std::string a_remote_uri_, b_remote_uri_;
  std::string a_migration_addr_, b_migration_addr_;
};

}  // namespace hvagent::testing
