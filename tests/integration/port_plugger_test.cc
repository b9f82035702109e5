// Taps and their switch ports against the testbed's real OVS: created by the
// agent's own code (ioctls, OVSDB), checked with the OVS tools.
#include <gtest/gtest.h>

#include <algorithm>

#include "hvagent/network/port_plugger.h"
#include "hvagent/network/tap_device.h"
#include "hvagent/ovsdb/client.h"
#include "hvagent_test/shared_switch_test.h"
#include "hvagent_test/switch_rows.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

class PortPluggerTest : public SharedBr0Test {
 protected:
  void SetUpOnBr0() override { plugger_ = std::make_unique<network::OvsdbPortPlugger>(*ovsdb_); }

  std::string Get(const std::string& column) {
    auto r = bed_->Vsctl({"get", "Port", "hvttest0", column});
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return r.ok() ? out : "(error: " + r.err + ")";
  }

  std::unique_ptr<network::OvsdbPortPlugger> plugger_;
};

TEST_F(PortPluggerTest, TapPlugRepluggedTrunkedAndUnplugged) {
  ASSERT_TRUE(network::TapDevice::Create("hvttest0").ok());
  EXPECT_TRUE(network::TapDevice::Exists("hvttest0"));
  EXPECT_TRUE(network::TapDevice::Create("hvttest0").ok());  // adopting is idempotent
  EXPECT_EQ(network::TapDevice::Create("lo").code(), absl::StatusCode::kAlreadyExists);

  network::PortSpec spec{
      .bridge = "br0",
      .name = "hvttest0",
      .vlan_id = 10,
      .external_ids = {{"owner", "hvagent"}, {"attached-mac", "52:54:00:aa:bb:cc"}}};
  ASSERT_TRUE(plugger_->Plug(spec).ok());
  EXPECT_EQ(Get("tag"), "10");
  EXPECT_EQ(Get("vlan_mode"), "access");
  EXPECT_EQ(Get("external_ids:owner"), "hvagent");
  const std::string uuid = Get("_uuid");
  // ovs-vswitchd took the tap as a port of the bridge.
  EXPECT_NE(bed_->Vsctl({"list-ports", "br0"}).out.find("hvttest0"), std::string::npos);
  // Listed as the agent's (from the monitor's cache), with its tags; a port
  // the agent did not tag is not.
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "nottheagents", "--", "set", "Interface",
                           "nottheagents", "type=internal"})
                  .ok());
  auto owned = plugger_->ListOwned();
  ASSERT_TRUE(owned.ok()) << owned.status();
  ASSERT_EQ(owned->size(), 1U);
  EXPECT_EQ(owned->at(0).name, "hvttest0");
  EXPECT_EQ(owned->at(0).external_ids.at("attached-mac"), "52:54:00:aa:bb:cc");
  ASSERT_TRUE(bed_->Vsctl({"del-port", "br0", "nottheagents"}).ok());
  auto taps = network::TapDevice::List();
  ASSERT_TRUE(taps.ok()) << taps.status();
  EXPECT_EQ(std::count(taps->begin(), taps->end(), "hvttest0"), 1);
  EXPECT_EQ(std::count(taps->begin(), taps->end(), "lo"), 0);

  // The seed's trunked NIC: native vlan.10 untagged, 10,20,30 tagged; in place.
  spec.trunked = true;
  spec.trunks = {10, 20, 30};
  ASSERT_TRUE(plugger_->Plug(spec).ok());
  EXPECT_EQ(Get("vlan_mode"), "native-untagged");
  EXPECT_EQ(Get("tag"), "10");
  EXPECT_EQ(Get("trunks"), "[10, 20, 30]");
  EXPECT_EQ(Get("_uuid"), uuid);  // the same row: no port flap

  ASSERT_TRUE(plugger_->Unplug("hvttest0").ok());
  EXPECT_EQ(bed_->Vsctl({"list-ports", "br0"}).out.find("hvttest0"), std::string::npos);
  EXPECT_TRUE(plugger_->Unplug("hvttest0").ok());  // already gone is fine
  owned = plugger_->ListOwned();
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_TRUE(owned->empty());
  ASSERT_TRUE(network::TapDevice::Delete("hvttest0").ok());
  EXPECT_FALSE(network::TapDevice::Exists("hvttest0"));
}

TEST_F(PortPluggerTest, MissingBridgeIsAPreconditionAndChangesNothing) {
  Status s;
  EXPECT_TRUE(
      RefusedWithoutChange(bed_->ovsdb_socket(), absl::StatusCode::kFailedPrecondition, [&] {
        s = plugger_->Plug({.bridge = "br9", .name = "hvttest1", .vlan_id = 5});
        return s;
      }));
  EXPECT_NE(std::string(s.message()).find("br9"), std::string::npos) << s;
}

}  // namespace
}  // namespace hvagent::testing
