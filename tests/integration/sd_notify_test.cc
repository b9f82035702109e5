// hvagentd speaks systemd's notify protocol as Type=notify and WatchdogSec
// need: READY=1 once it serves, WATCHDOG=1 repeatedly at an interval derived
// from WATCHDOG_USEC, STOPPING=1 on SIGTERM. The test owns the NOTIFY_SOCKET
// (a unix datagram socket), as systemd would.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "hvagent_test/agent_process.h"

namespace hvagent::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Message {
  std::string text;
  Clock::time_point at;
};

class NotifySocket {
 public:
  NotifySocket() {
    std::string templ = "/tmp/hvagent-notify.XXXXXX";
    dir_ = mkdtemp(templ.data()) != nullptr ? templ : "";
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval timeout{.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  // Collects datagrams until `done` holds for them, or `limit` passes.
  template <typename Pred>
  std::vector<Message> ReceiveUntil(Pred done, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline && !done(received_)) {
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) received_.push_back({std::string(buf, static_cast<size_t>(n)), Clock::now()});
    }
    return received_;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<Message> received_;
};

// Whether `message` carries the assignment `line` ("READY=1") as one of its lines.
bool Carries(const Message& message, const std::string& line) {
  size_t start = 0;
  while (start <= message.text.size()) {
    const size_t end = message.text.find('\n', start);
    if (message.text.substr(start, end - start) == line) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

size_t Count(const std::vector<Message>& messages, const std::string& line) {
  size_t n = 0;
  for (const auto& m : messages) n += Carries(m, line) ? 1 : 0;
  return n;
}

// Runs an agent with NOTIFY_SOCKET and WATCHDOG_USEC set until it has sent
// `pings` WATCHDOG=1 after READY=1; returns everything it sent, up to STOPPING=1.
std::vector<Message> RunWithWatchdog(std::chrono::milliseconds watchdog, size_t pings) {
  NotifySocket notify;
  EXPECT_TRUE(notify.bound()) << notify.path();
  // The agent inherits the environment, as from systemd. The test's own
  // threads do not read the environment meanwhile.
  // NOLINTBEGIN(concurrency-mt-unsafe)
  setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
  setenv("WATCHDOG_USEC",
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(watchdog).count())
             .c_str(),
         1);
  unsetenv("WATCHDOG_PID");
  // NOLINTEND(concurrency-mt-unsafe)
  AgentProcess agent(AgentOptions{.libvirt_uri = "test:///default",
                                  .ovsdb_endpoint = "unix:/nonexistent/db.sock",
                                  .state_dir = "",
                                  .extra_args = {"--metrics-listen", ""},
                                  .netns = ""});
  const bool started = agent.Start();
  // NOLINTBEGIN(concurrency-mt-unsafe)
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  // NOLINTEND(concurrency-mt-unsafe)
  EXPECT_TRUE(started) << agent.log();
  if (!started) return {};
  notify.ReceiveUntil(
      [pings](const std::vector<Message>& m) { return Count(m, "WATCHDOG=1") >= pings; },
      std::chrono::seconds(120));
  EXPECT_EQ(agent.Stop(), 0) << agent.log();
  return notify.ReceiveUntil(
      [](const std::vector<Message>& m) { return Count(m, "STOPPING=1") >= 1; },
      std::chrono::seconds(30));
}

// The mean time between consecutive WATCHDOG=1 messages.
double MeanPingInterval(const std::vector<Message>& messages) {
  std::vector<Clock::time_point> pings;
  for (const auto& m : messages) {
    if (Carries(m, "WATCHDOG=1")) pings.push_back(m.at);
  }
  if (pings.size() < 2) return 0;
  return std::chrono::duration<double>(pings.back() - pings.front()).count() /
         static_cast<double>(pings.size() - 1);
}

TEST(SdNotifyTest, ReadyThenRepeatedWatchdogThenStopping) {
  const auto messages = RunWithWatchdog(std::chrono::milliseconds(1000), 4);
  ASSERT_FALSE(messages.empty());
  // READY=1 first, exactly once; then the pings; STOPPING=1 last.
  EXPECT_TRUE(Carries(messages.front(), "READY=1")) << messages.front().text;
  EXPECT_EQ(Count(messages, "READY=1"), 1u);
  EXPECT_GE(Count(messages, "WATCHDOG=1"), 4u);
  EXPECT_TRUE(Carries(messages.back(), "STOPPING=1")) << messages.back().text;
  for (size_t i = 1; i + 1 < messages.size(); ++i) {
    EXPECT_TRUE(Carries(messages[i], "WATCHDOG=1")) << messages[i].text;
  }
}

// The ping interval follows WATCHDOG_USEC: four times the timeout, about four
// times the interval (a ratio, so a loaded machine does not matter much).
TEST(SdNotifyTest, PingIntervalFollowsWatchdogUsec) {
  const double fast = MeanPingInterval(RunWithWatchdog(std::chrono::milliseconds(600), 5));
  const double slow = MeanPingInterval(RunWithWatchdog(std::chrono::milliseconds(2400), 4));
  ASSERT_GT(fast, 0);
  ASSERT_GT(slow, 0);
  EXPECT_GT(slow / fast, 2.0) << "fast " << fast << " s, slow " << slow << " s";
  EXPECT_LT(slow / fast, 8.0) << "fast " << fast << " s, slow " << slow << " s";
}

}  // namespace
}  // namespace hvagent::testing
