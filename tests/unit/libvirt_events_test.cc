// ConnectionManager and EventLoop against libvirt's in-memory test driver,
// which emits real lifecycle events.
#include <gtest/gtest.h>
#include <libvirt/libvirt.h>

#include <condition_variable>
#include <mutex>
#include <vector>

#include "hvagent/libvirt/connection_manager.h"
#include "hvagent/libvirt/event_loop.h"

namespace hvagent::libvirt {
namespace {

class LibvirtEventsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loop = EventLoop::Start();
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = loop->release();
  }
  static void TearDownTestSuite() { delete loop_; }

  static EventLoop* loop_;
};

EventLoop* LibvirtEventsTest::loop_ = nullptr;

TEST_F(LibvirtEventsTest, LifecycleEventsReachTheListener) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<LifecycleEvent> seen;
  ConnectionManager manager({.uri = "test:///default"}, [&](const LifecycleEvent& e) {
    std::lock_guard lock(mu);
    seen.push_back(e);
    cv.notify_all();
  });
  auto conn = manager.Get();
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto dom = (*conn)->DefineDomain(
      "<domain type='test'><name>events-vm</name><memory>131072</memory>"
      "<os><type>hvm</type></os></domain>");
  ASSERT_TRUE(dom.ok()) << dom.status();
  ASSERT_TRUE(dom->Start().ok());
  ASSERT_TRUE(dom->Destroy().ok());
  ASSERT_TRUE(dom->Undefine().ok());

  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] {
    return std::any_of(seen.begin(), seen.end(),
                       [](const auto& e) { return e.event == VIR_DOMAIN_EVENT_STOPPED; });
  }));
  std::vector<int> kinds;
  for (const auto& e : seen) {
    EXPECT_EQ(e.domain_name, "events-vm");
    EXPECT_EQ(e.domain_uuid.size(), 36u);
    kinds.push_back(e.event);
  }
  // Defined, started, stopped, in that order.
  const std::vector<int> expected = {VIR_DOMAIN_EVENT_DEFINED, VIR_DOMAIN_EVENT_STARTED,
                                     VIR_DOMAIN_EVENT_STOPPED};
  EXPECT_TRUE(std::search(kinds.begin(), kinds.end(), expected.begin(), expected.end()) !=
              kinds.end());
}

TEST_F(LibvirtEventsTest, UnreachableDaemonFailsFastWithinTheBackoff) {
  ConnectionManager manager({.uri = "qemu+unix:///system?socket=/nonexistent/sock",
                             .min_backoff = std::chrono::seconds(30)},
                            nullptr);
  auto first = manager.Get();
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  // Within the backoff the manager does not even try: it says when it will.
  auto second = manager.Get();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(second.status().message()).find("next attempt in"), std::string::npos)
      << second.status();
}

TEST_F(LibvirtEventsTest, OneConnectionIsSharedWhileAlive) {
  ConnectionManager manager({.uri = "test:///default"}, nullptr);
  auto a = manager.Get();
  auto b = manager.Get();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
}

}  // namespace
}  // namespace hvagent::libvirt
