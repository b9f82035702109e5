#include "hvagent_test/shared_switch_test.h"

namespace hvagent::testing {

void SharedSwitchTest::SetUp() {
  std::string error;
  bed_ = SharedTestbed(&error);
  ASSERT_NE(bed_, nullptr) << error;
  ASSERT_TRUE(bed_->EnterNetns());
  ovsdb_ = bed_->OvsdbClient();
  ASSERT_NE(ovsdb_, nullptr) << "the OVSDB client did not connect";
}

void SharedBr0Test::SetUp() {
  SharedSwitchTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(bed_->AddNetdevBridge("br0"));
  SetUpOnBr0();
}

void SharedSwitchTest::PlugHosts(const std::string& bridge, std::initializer_list<HostPort> hosts) {
  for (const HostPort& host : hosts) {
    std::string error;
    ASSERT_TRUE(bed_->AddHostNamespace(host.suffix, "eth0", host.cidr, host.port, &error)) << error;
    ASSERT_TRUE(bed_->Vsctl({"add-port", bridge, host.port}).ok()) << host.port;
  }
}

}  // namespace hvagent::testing
