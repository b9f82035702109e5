// The fixture of switch tests that share their binary's testbed: each test
// finds it reset (no bridges, no links, no host namespaces), this thread in
// its network namespace (the managers look NICs up where OVS sees them), and
// the agent's own OVSDB client connected to it.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "hvagent/ovsdb/client.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {

class SharedSwitchTest : public ::testing::Test {
 protected:
  // Derived fixtures call this first and return on HasFatalFailure().
  void SetUp() override;

  // A host namespace `suffix` whose eth0 has `cidr`, plugged into `bridge`
  // through its veth peer `port`.
  struct HostPort {
    const char* suffix;
    const char* cidr;
    const char* port;
  };
  void PlugHosts(const std::string& bridge, std::initializer_list<HostPort> hosts);

  Testbed* bed_ = nullptr;  // the binary's, reset for each test
  std::unique_ptr<ovsdb::Client> ovsdb_;
};

// The same with br0 on the userspace datapath, where most switch tests start.
// Derived fixtures add their own set-up in SetUpOnBr0, which runs only when
// everything before it succeeded.
class SharedBr0Test : public SharedSwitchTest {
 protected:
  void SetUp() final;
  virtual void SetUpOnBr0() {}
};

}  // namespace hvagent::testing
