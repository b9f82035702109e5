// compute::AttachNics: a VM's NICs go at once (their OVS transactions and
// ovs-vswitchd's reconfigurations overlap), and one failing undoes them all.
#include "hvagent/compute/nic_attach.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "hvagent_test/fake_nic_backend.h"

namespace hvagent::compute {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::vector<NicConfig> ThreeNics() {
  std::vector<NicConfig> nics;
  for (const char* n : {"1", "2", "3"}) {
    nics.push_back({.mac = std::string("52:54:00:00:00:0") + n,
                    .network = "vlan.10",
                    .tap = std::string("hvt00000000000") + n,
                    .bridge = "br0",
                    .vlan_id = 10});
  }
  return nics;
}

TEST(AttachNicsTest, EveryNicIsInFlightAtOnce) {
  testing::FakeNics nics;
  std::mutex mu;
  std::condition_variable changed;
  int in_flight = 0;
  int saw_all_three = 0;
  // Each attach waits (up to 5 s) until all three have begun: one after
  // another, the first two would each wait alone until their deadline.
  nics.during_attach = [&](const NicConfig&) {
    std::unique_lock lock(mu);
    ++in_flight;
    changed.notify_all();
    if (changed.wait_for(lock, std::chrono::seconds(5), [&] { return in_flight == 3; })) {
      ++saw_all_three;
    }
  };
  ASSERT_TRUE(AttachNics(nics, "vm1", "uuid-1", ThreeNics()).ok());
  EXPECT_EQ(saw_all_three, 3);
  EXPECT_THAT(nics.Taps(),
              UnorderedElementsAre("hvt000000000001", "hvt000000000002", "hvt000000000003"));
  for (const auto& [tap, p] : nics.plugged) EXPECT_EQ(p.vm_uuid, "uuid-1") << tap;
}

TEST(AttachNicsTest, OneFailingUndoesEveryOneAndIsNamed) {
  testing::FakeNics nics;
  nics.attach_failures["52:54:00:00:00:02"] =
      absl::FailedPreconditionError("bridge 'br0' does not exist on this host");
  const Status attached = AttachNics(nics, "vm1", "uuid-1", ThreeNics());
  EXPECT_EQ(attached.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(attached.message()), HasSubstr("52:54:00:00:00:02"));
  EXPECT_THAT(std::string(attached.message()), HasSubstr("bridge 'br0' does not exist"));
  EXPECT_THAT(nics.plugged, IsEmpty());  // the two that went in are out again
  EXPECT_THAT(nics.calls,
              ::testing::IsSupersetOf({"Detach 52:54:00:00:00:01", "Detach 52:54:00:00:00:02",
                                       "Detach 52:54:00:00:00:03"}));
}

TEST(AttachNicsTest, AVmWithoutNicsCallsNothing) {
  testing::FakeNics nics;
  EXPECT_TRUE(AttachNics(nics, "vm1", "uuid-1", {}).ok());
  EXPECT_THAT(nics.calls, IsEmpty());
}

}  // namespace
}  // namespace hvagent::compute
