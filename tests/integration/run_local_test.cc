// `make run`'s script: starts the testbed and the agent, serves hvctl, and on
// Ctrl-C leaves no process, namespace, bridge or socket behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <thread>

#include "hvagent_test/subprocess.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

constexpr const char* kSocket = "/run/hvagent/hvagent.sock";

// Processes whose command line mentions `needle`.
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string stat = ReadFile(entry.path() / "stat");
    const bool zombie = stat.find(") Z ") != std::string::npos;
    if (!zombie && cmdline.find(needle) != std::string::npos && std::to_string(getpid()) != pid) {
      found.push_back(pid + ": " + cmdline);
    }
  }
  return found;
}

TEST(RunLocalTest, ServesHvctlAndCtrlCLeavesNothingBehind) {
  ASSERT_FALSE(std::filesystem::exists(kSocket)) << "an agent already serves " << kSocket;
  const std::string state = SourceDir() + "/var/run-testbed";
  const std::string log = BuildDir() + "/run-local-test.log";
  std::filesystem::remove(log);
  setenv("HVAGENT_USE_TESTBED", "1", 1);  // never the host's own services
  BackgroundProcess run({SourceDir() + "/scripts/run-local.sh", BuildDir()}, log);

  bool serving = false;
  for (int i = 0; i < 600 && !serving && run.Running(); ++i) {
    serving = ReadFile(log).find("hvagentd is serving") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(serving) << ReadFile(log);
  const std::string netns = RunProcess({SourceDir() + "/scripts/testbed", "env", state}).out;
  ASSERT_NE(netns.find("HVTB_NETNS=hvtb-"), std::string::npos) << netns;

  const ProcessResult host = RunProcess({BuildDir() + "/src/cli/hvctl", "host.get"});
  EXPECT_TRUE(host.ok()) << host.err;
  EXPECT_NE(host.out.find("BACKEND_STATE_CONNECTED"), std::string::npos) << host.out;
  EXPECT_NE(host.out.find(state), std::string::npos) << "agent not on the testbed: " << host.out;

  run.SignalGroup(SIGINT);  // Ctrl-C
  EXPECT_NE(run.Wait(std::chrono::seconds(60)), -1) << "run-local.sh did not exit";

  EXPECT_FALSE(std::filesystem::exists(kSocket));
  EXPECT_TRUE(ProcessesMentioning(state).empty())
      << ::testing::PrintToString(ProcessesMentioning(state));
  // This agent (other tests run agents of their own at the same time).
  EXPECT_TRUE(ProcessesMentioning(kSocket).empty());
  const std::string ns_name = netns.substr(netns.find("HVTB_NETNS=") + 11, 15);
  EXPECT_EQ(RunProcess({"ip", "netns", "list"}).out.find(ns_name), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(state + "/env"));
}

}  // namespace
}  // namespace hvagent::testing
