// The whole chain before the agent exists: a libvirt domain whose tap NIC is an
// access port of VLAN 10 on an OVS bridge boots the test guest, which reaches a
// host namespace on VLAN 10 and must not reach one on VLAN 20.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "hvagent/libvirt/connection.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

class SmokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bed_ = StartOrFail<Testbed>();
    ASSERT_NE(bed_, nullptr);
  }
  std::unique_ptr<Testbed> bed_;
};

TEST_F(SmokeTest, GuestOnVlan10AccessPortReachesVlan10AndNotVlan20) {
  // One bridge; every address is in one subnet so that only VLANs separate them.
  RunOrFail({"ovs-vsctl", "--db=unix:" + bed_->ovsdb_socket(), "--timeout=20", "add-br", "br0",
             "--", "set", "bridge", "br0", "datapath_type=netdev"});
  std::string error;
  ASSERT_TRUE(bed_->AddHostNamespace("v10", "eth0", "10.77.0.1/24", "hv10", &error)) << error;
  ASSERT_TRUE(bed_->AddHostNamespace("v20", "eth0", "10.77.0.3/24", "hv20", &error)) << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hv10", "tag=10"}).ok());
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hv20", "tag=20"}).ok());
  ASSERT_TRUE(bed_->Exec({"ip", "tuntap", "add", "dev", "tapsmoke0", "mode", "tap"}).ok());
  ASSERT_TRUE(bed_->Exec({"ip", "link", "set", "tapsmoke0", "up"}).ok());
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "tapsmoke0", "tag=10"}).ok());

  auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
  ASSERT_TRUE(conn.ok()) << conn.status();
  const std::string type = DetectDomainType(**conn, bed_->state_dir());

  const std::string script =
      "ip link set eth0 up\n"
      "ip addr add 10.77.0.2/24 dev eth0\n"
      "if ping -c 3 -W 3 10.77.0.1; then echo VLAN10=reached; else echo VLAN10=unreached; fi\n"
      "if ping -c 3 -W 1 10.77.0.3; then echo VLAN20=reached; else echo VLAN20=unreached; fi\n";
  const TestDomainSpec spec{.name = "smoke",
                            .type = type,
                            .script = script,
                            .console_log = bed_->state_dir() + "/smoke-console.log",
                            .nics = {{.tap = "tapsmoke0", .mac = "52:54:00:10:00:02"}}};
  auto dom = (*conn)->DefineDomain(TestDomainXml(spec, DefaultTestGuest()));
  ASSERT_TRUE(dom.ok()) << dom.status();
  ASSERT_TRUE(dom->Start().ok());
  const bool finished = WaitForShutOff(*dom, std::chrono::seconds(180));
  const std::string console = ReadFile(spec.console_log);
  EXPECT_TRUE(finished) << "guest did not power off; console:\n" << console;
  EXPECT_NE(console.find("hvtest: up"), std::string::npos) << console;
  EXPECT_NE(console.find("VLAN10=reached"), std::string::npos) << console;
  EXPECT_NE(console.find("VLAN20=unreached"), std::string::npos) << console;
  EXPECT_NE(console.find("hvtest: exit 0"), std::string::npos) << console;

  // The host side saw the guest's traffic on VLAN 10 and none on VLAN 20.
  auto v10_neigh = bed_->ExecIn("v10", {"ip", "neigh", "show", "10.77.0.2"});
  EXPECT_NE(v10_neigh.out.find("52:54:00:10:00:02"), std::string::npos) << v10_neigh.out;
  auto v20_neigh = bed_->ExecIn("v20", {"ip", "neigh", "show", "10.77.0.2"});
  EXPECT_EQ(v20_neigh.out.find("52:54:00:10:00:02"), std::string::npos) << v20_neigh.out;

  if (!finished) (void)dom->Destroy();
  EXPECT_TRUE(dom->Undefine().ok());
}

}  // namespace
}  // namespace hvagent::testing
