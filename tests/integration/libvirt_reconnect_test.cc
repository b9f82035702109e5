// The shared libvirt connection against the testbed's real libvirtd: calls
// fail with UNAVAILABLE while it is down and succeed once it is back, without
// restarting the agent.
#include <gtest/gtest.h>

#include <thread>

#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/libvirt/event_loop.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

TEST(LibvirtReconnectTest, SurvivesALibvirtdRestart) {
  auto bed = StartOrFail<Testbed>();
  ASSERT_NE(bed, nullptr);
  auto loop = libvirt::EventLoop::Start();
  ASSERT_TRUE(loop.ok());
  libvirt::ConnectionManager manager({.uri = bed->libvirt_uri()}, nullptr);
  auto before = manager.Get();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE((*before)->LibvirtVersion().ok());

  ASSERT_TRUE(bed->StopDaemon("libvirt"));
  // A call on the old connection fails as retryable, and so does Get.
  const auto on_dead = (*before)->LibvirtVersion();
  EXPECT_EQ(on_dead.status().code(), absl::StatusCode::kUnavailable) << on_dead.status();
  EXPECT_EQ(manager.Get().status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(bed->StartDaemon("libvirt"));
  StatusOr<std::shared_ptr<libvirt::Connection>> after = absl::UnavailableError("not yet");
  Eventually(
      [&] {
        after = manager.Get();
        return after.ok();
      },
      "the reconnect", std::chrono::seconds(20));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->get(), before->get());  // a new connection
  EXPECT_TRUE((*after)->LibvirtVersion().ok());
  after = absl::UnavailableError("released");
  before = absl::UnavailableError("released");
}

}  // namespace
}  // namespace hvagent::testing
