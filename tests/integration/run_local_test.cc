// `make run`'s script: starts the testbed and the agent, serves hvctl and the
// README's metrics address, restarts a killed agent without touching its VMs,
// and on Ctrl-C leaves no process, namespace, bridge or socket behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "hvagent_test/subprocess.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

constexpr const char* kSocket = "/run/hvagent/hvagent.sock";

// Whether something accepts connections on the unix socket `path`; false for
// a socket file left by an agent that died without removing it.
bool SomethingListensOn(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: assume it is in use
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  const bool listens =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0 ||
      (errno != ECONNREFUSED && errno != ENOENT);
  close(fd);
  return listens;
}

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

TEST(RunLocalTest, ServesRestartsAKilledAgentKeepingVmsAndCtrlCLeavesNothingBehind) {
  if (std::filesystem::exists(kSocket)) {
    ASSERT_FALSE(SomethingListensOn(kSocket)) << "an agent already serves " << kSocket;
    std::filesystem::remove(kSocket);  // an earlier agent's, which died
  }
  const std::string state = SourceDir() + "/var/run-testbed";
  const std::string log = BuildDir() + "/run-local-test.log";
  std::filesystem::remove(log);
  setenv("HVAGENT_USE_TESTBED", "1", 1);  // never the host's own services
  BackgroundProcess run({SourceDir() + "/scripts/run-local.sh", BuildDir()}, log);
  // Whatever fails below, Ctrl-C it on the way out: a failed assertion must
  // not leave an agent on the default socket for the next test.
  struct CtrlCOnExit {
    BackgroundProcess& run;
    ~CtrlCOnExit() {
      if (run.Running()) {
        run.SignalGroup(SIGINT);
        run.Wait(std::chrono::seconds(60));
      }
    }
  } ctrl_c_on_exit{run};

  bool serving = false;
  for (int i = 0; i < 600 && !serving && run.Running(); ++i) {
    serving = ReadFile(log).find("hvagentd is serving") != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(serving) << ReadFile(log);
  const std::string netns = RunProcess({SourceDir() + "/scripts/testbed", "env", state}).out;
  ASSERT_NE(netns.find("HVTB_NETNS=hvtb-"), std::string::npos) << netns;

  const std::string hvctl = BuildDir() + "/src/cli/hvctl";
  const ProcessResult host = RunProcess({hvctl, "host.get"});
  EXPECT_TRUE(host.ok()) << host.err;
  EXPECT_NE(host.out.find("BACKEND_STATE_CONNECTED"), std::string::npos) << host.out;
  EXPECT_NE(host.out.find(state), std::string::npos) << "agent not on the testbed: " << host.out;
  // The domain type and why, before any VM started.
  EXPECT_THAT(host.out, ::testing::ContainsRegex("domain_type +(kvm|qemu)\n")) << host.out;
  EXPECT_THAT(host.out, ::testing::ContainsRegex("domain_type_reason +(kvm|qemu): ")) << host.out;

  // The README's metrics address answers from the host's own namespace.
  const ProcessResult metrics =
      RunProcess({"curl", "-sf", "--max-time", "10", "http://127.0.0.1:9464/metrics"});
  EXPECT_TRUE(metrics.ok()) << metrics.err;
  EXPECT_THAT(metrics.out, ::testing::HasSubstr("hvagent_backend_up"));

  // A crash of the agent takes no VM down: make run restarts the agent, and
  // the same QEMU process serves the VM before and after.
  // make run keeps its VMs' definitions across runs: start from none.
  (void)RunProcess({hvctl, "vm.delete", "runlocalvm", "force=true"});
  const ProcessResult created =
      RunProcess({hvctl, "vm.create", "runlocalvm", "num_vcpus=1", "memory=128M"});
  ASSERT_TRUE(created.ok()) << created.err;
  const ProcessResult on = RunProcess({hvctl, "vm.on", "runlocalvm"});
  ASSERT_TRUE(on.ok()) << on.err;
  const auto qemu_before = ProcessesMentioning("guest=runlocalvm");
  ASSERT_EQ(qemu_before.size(), 1u) << ::testing::PrintToString(qemu_before);
  const auto agents = ProcessesMentioning(std::string("hvagentd --unix-socket ") + kSocket);
  ASSERT_EQ(agents.size(), 1u) << ::testing::PrintToString(agents);
  ASSERT_EQ(kill(std::stoi(agents[0]), SIGKILL), 0);
  bool restarted = false;
  for (int i = 0; i < 300 && !restarted; ++i) {
    restarted = ReadFile(log).find("restarting it") != std::string::npos &&
                RunProcess({hvctl, "health"}).ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(restarted) << ReadFile(log);
  EXPECT_TRUE(run.Running()) << "make run went down with its agent";
  const ProcessResult vm = RunProcess({hvctl, "vm.get", "runlocalvm"});
  EXPECT_TRUE(vm.ok()) << vm.err;
  EXPECT_THAT(vm.out, ::testing::HasSubstr("POWER_STATE_ON")) << vm.out;
  EXPECT_EQ(ProcessesMentioning("guest=runlocalvm"), qemu_before) << "the VM's QEMU is the same";
  EXPECT_TRUE(RunProcess({hvctl, "vm.delete", "runlocalvm", "force=true"}).ok());

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
