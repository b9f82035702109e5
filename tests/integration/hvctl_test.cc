// The real hvctl binary against a running agent on the testbed (libvirtd,
// QEMU, OVS): every command the agent implements today, the seed's trunked
// NIC line checked in OVSDB, the event stream, bad command lines, and
// `-o json` parsed back.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "hvagent_test/agent_process.h"
#include "hvagent_test/net_util.h"
#include "hvagent_test/polling.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/test_guest.h"
#include "hvagent_test/test_pki.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class HvctlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bed_ = StartTestbedWithBr0OrFail();
    ASSERT_NE(bed_, nullptr);
    agent_ = StartAgentOrFail(AgentOnTestbed(*bed_));
    ASSERT_NE(agent_, nullptr);
  }
  static void TearDownTestSuite() {
    if (agent_ != nullptr) {
      // Whatever a test left behind: its VMs go with the testbed anyway.
      RunProcess({Hvctl(), "--endpoint", "unix:" + agent_->socket(), "vm.list"});
    }
    agent_.reset();
    bed_.reset();
  }
  void SetUp() override {
    ASSERT_NE(bed_, nullptr);
    ASSERT_NE(agent_, nullptr);
  }

  static std::string Hvctl() { return BuildDir() + "/src/cli/hvctl"; }
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {Hvctl(), "--endpoint", "unix:" + agent_->socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // hvctl with these arguments against the test's agent.
  static ProcessResult Run(const std::vector<std::string>& args) {
    return RunProcess(Argv(args), std::chrono::seconds(240));
  }
  // hvctl -o json …, parsed; fails the test unless it exits 0 with JSON.
  static nlohmann::json Json(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"-o", "json"};
    all.insert(all.end(), args.begin(), args.end());
    const ProcessResult r = Run(all);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << r.out;
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
  }
  // A line that must succeed; returns its stdout.
  static std::string Ok(const std::vector<std::string>& args) {
    const ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << "\n" << r.err << agent_->log();
    return r.out;
  }
  static std::string PortColumn(const std::string& port, const std::string& column) {
    const ProcessResult r = bed_->Vsctl({"get", "Port", port, column});
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return r.ok() ? out : "(missing)";
  }
  // vm.create NAME for a test guest running `script`.
  static std::vector<std::string> GuestVm(const std::string& name, const std::string& script) {
    const TestGuestImage image = DefaultTestGuest();
    return {"vm.create",
            name,
            "num_vcpus=1",
            "memory=256M",
            "machine_type=pc",
            "kernel=" + image.kernel,
            "initrd=" + image.initrd,
            "cmdline=" + GuestCmdline(script)};
  }

  inline static std::unique_ptr<Testbed> bed_;
  inline static std::unique_ptr<AgentProcess> agent_;
};

TEST_F(HvctlTest, HostGetAndHealth) {
  const std::string text = Ok({"host.get"});
  EXPECT_THAT(text, MatchesRegex("(.|\n)*\nlibvirt\\.state +BACKEND_STATE_CONNECTED\n(.|\n)*"));
  EXPECT_THAT(text, MatchesRegex("(.|\n)*\novsdb\\.state +BACKEND_STATE_CONNECTED\n(.|\n)*"));
  nlohmann::json host = Json({"host.get"});
  EXPECT_FALSE(host["hostname"].get<std::string>().empty());
  EXPECT_EQ(host["libvirt"]["endpoint"], bed_->libvirt_uri());
  EXPECT_EQ(host["ovsdb"]["state"], "BACKEND_STATE_CONNECTED");

  nlohmann::json maximums = Json({"host.maximums"});
  EXPECT_GE(maximums["vcpus_per_vm"].get<int>(), 1);

  const ProcessResult health = Run({"health"});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  EXPECT_THAT(health.out, HasSubstr("SERVING"));
}

TEST_F(HvctlTest, Networks) {
  nlohmann::json created = Json({"net.create", "cli.net", "vlan=33"});
  EXPECT_EQ(created["name"], "cli.net");
  EXPECT_EQ(created["vlan_id"], 33);
  EXPECT_EQ(created["bridge"], "br0");

  nlohmann::json got = Json({"net.get", "cli.net"});
  EXPECT_EQ(got["uuid"], created["uuid"]);
  const std::string table = Ok({"net.list"});
  EXPECT_THAT(table, MatchesRegex("NAME +VLAN +BRIDGE +NICS +UUID +GENERATION\n(.|\n)*"));
  EXPECT_THAT(table, MatchesRegex("(.|\n)*\ncli\\.net +33 +br0 +0 +[0-9a-f-]+ +[0-9]+\n(.|\n)*"));

  nlohmann::json updated = Json({"net.update", "cli.net", "vlan=34"});
  EXPECT_EQ(updated["vlan_id"], 34);

  // A second create of the same name: the agent's error, on one line.
  const ProcessResult again = Run({"net.create", "cli.net", "vlan=33"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, MatchesRegex("hvctl: net\\.create cli\\.net: ALREADY_EXISTS: [^\n]+\n"));
  // A bridge that does not exist.
  const ProcessResult bridge = Run({"net.create", "cli.nobr", "vlan=35", "bridge=br-none"});
  EXPECT_EQ(bridge.exit_code, 1) << bridge.out;
  EXPECT_THAT(bridge.err, HasSubstr("br-none"));

  EXPECT_EQ(Ok({"net.delete", "cli.net"}), "network cli.net deleted\n");
  const ProcessResult gone = Run({"net.get", "cli.net"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("NOT_FOUND"));
}

TEST_F(HvctlTest, VmLifecycleWithEveryPowerCommand) {
  nlohmann::json vm = Json(GuestVm("cli-vm", "sleep 3600\n"));
  EXPECT_EQ(vm["power_state"], "POWER_STATE_OFF");
  EXPECT_EQ(vm["spec"]["memory_bytes"], std::to_string(256ULL << 20));
  // (The agent does not report spec.boot back yet; the guest's banner below
  // proves kernel=, initrd= and cmdline= reached it.)

  // Resize while off.
  nlohmann::json resized = Json({"vm.update", "cli-vm", "memory=320M", "num_vcpus=2"});
  EXPECT_EQ(resized["spec"]["memory_bytes"], std::to_string(320ULL << 20));
  EXPECT_EQ(resized["spec"]["num_vcpus"], 2);

  auto power = [](const std::string& verb) {
    return Json({"vm." + verb, "cli-vm"})["power_state"].get<std::string>();
  };
  EXPECT_EQ(power("on"), "POWER_STATE_ON");
  const std::string console = Json({"vm.get", "cli-vm"})["console_log_path"];
  EXPECT_TRUE(Eventually([&] { return ReadFile(console).find("hvtest: up") != std::string::npos; },
                         "the guest's boot", std::chrono::seconds(120)))
      << ReadFile(console);
  EXPECT_EQ(power("pause"), "POWER_STATE_PAUSED");
  EXPECT_EQ(power("resume"), "POWER_STATE_ON");
  EXPECT_EQ(power("reset"), "POWER_STATE_ON");
  EXPECT_EQ(power("reboot"), "POWER_STATE_ON");

  const std::string list = Ok({"vm.list"});
  EXPECT_THAT(
      list,
      MatchesRegex("(.|\n)*\ncli-vm +POWER_STATE_ON +2 +335544320 +[0-9a-f-]+ +false\n(.|\n)*"));

  // Running: vCPU changes and a plain delete are refused, with the agent's words.
  const ProcessResult busy = Run({"vm.update", "cli-vm", "num_vcpus=1"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.err, HasSubstr("FAILED_PRECONDITION"));
  const ProcessResult refused = Run({"vm.delete", "cli-vm"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("FAILED_PRECONDITION"));

  // This guest ignores the power button: shutdown times out, then falls back.
  const ProcessResult timed_out = Run({"vm.shutdown", "cli-vm", "timeout=2"});
  EXPECT_EQ(timed_out.exit_code, 1);
  EXPECT_THAT(timed_out.err, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_EQ(Json({"vm.get", "cli-vm"})["power_state"], "POWER_STATE_ON");
  EXPECT_EQ(
      Json({"vm.shutdown", "cli-vm", "timeout=2", "power_off_on_timeout=true"})["power_state"],
      "POWER_STATE_OFF");
  EXPECT_EQ(power("on"), "POWER_STATE_ON");
  EXPECT_EQ(power("off"), "POWER_STATE_OFF");

  EXPECT_EQ(Ok({"vm.delete", "cli-vm"}), "vm cli-vm deleted\n");
  const ProcessResult gone = Run({"vm.get", "cli-vm"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("NOT_FOUND"));
}

TEST_F(HvctlTest, SeedsTrunkedNicLineEndsUpInOvsdb) {
  const ProcessResult net = Run({"net.create", "vlan.10", "vlan=10"});
  ASSERT_TRUE(net.ok() || net.err.find("ALREADY_EXISTS") != std::string::npos) << net.err;
  Ok(GuestVm("fooVM", "sleep 3600\n"));

  // The seed's line, word for word.
  std::vector<std::string> seed;
  std::istringstream words(
      "vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30 network=vlan.10");
  for (std::string w; words >> w;) seed.push_back(w);
  const std::string out = Ok(seed);
  EXPECT_THAT(out, MatchesRegex("(.|\n)*\nspec\\.vlan_mode +VLAN_MODE_TRUNKED\n(.|\n)*"));

  nlohmann::json nics = Json({"vm.get", "fooVM"})["nics"];
  ASSERT_EQ(nics.size(), 1u);
  const std::string mac = nics[0]["mac"];
  const std::string tap = nics[0]["tap"];
  nlohmann::json nic = Json({"vm.nic_get", "fooVM", mac});
  EXPECT_EQ(nic["spec"]["network"], "vlan.10");
  EXPECT_EQ(nic["spec"]["trunked_vlans"], nlohmann::json::array({10, 20, 30}));
  EXPECT_THAT(Ok({"vm.nic_list", "fooVM"}),
              MatchesRegex("MAC +NETWORK +VLAN_MODE +TRUNKS +TYPE +TAP +BRIDGE +LINK_UP\n" + mac +
                           " +vlan\\.10 +VLAN_MODE_TRUNKED +10,20,30 .*\n"));

  // The port exists once the VM runs: native VLAN 10 untagged, 10,20,30 tagged.
  EXPECT_EQ(Json({"vm.on", "fooVM"})["power_state"], "POWER_STATE_ON");
  EXPECT_EQ(PortColumn(tap, "vlan_mode"), "native-untagged");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");
  EXPECT_EQ(PortColumn(tap, "trunks"), "[10, 20, 30]");

  EXPECT_EQ(Json({"vm.off", "fooVM"})["power_state"], "POWER_STATE_OFF");
  EXPECT_EQ(Ok({"vm.nic_delete", "fooVM", mac}), "nic " + mac + " of vm fooVM deleted\n");
  EXPECT_EQ(Json({"vm.get", "fooVM"})["nics"].size(), 0u);
  const ProcessResult gone = Run({"vm.nic_get", "fooVM", mac});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_THAT(gone.err, HasSubstr("NOT_FOUND"));
  Ok({"vm.delete", "fooVM"});
}

TEST_F(HvctlTest, DisksAndNicUpdates) {
  const ProcessResult net = Run({"net.create", "vlan.10", "vlan=10"});
  ASSERT_TRUE(net.ok() || net.err.find("ALREADY_EXISTS") != std::string::npos) << net.err;
  Ok(GuestVm("dev-vm", "sleep 3600\n"));

  // A new 64 MiB volume: listed, and its file on the host has that size.
  nlohmann::json disk = Json({"vm.disk_create", "dev-vm", "create_size=64M", "bus=scsi"});
  const std::string device = disk["device_id"];
  const std::string path = disk["path"];
  ASSERT_FALSE(device.empty()) << disk.dump();
  EXPECT_EQ(disk["size_bytes"], std::to_string(64ULL << 20));
  EXPECT_EQ(std::filesystem::file_size(path), 64ULL << 20);
  EXPECT_THAT(Ok({"vm.disk_list", "dev-vm"}),
              MatchesRegex("DEVICE +BUS +SIZE_BYTES +PATH +AGENT_CREATED\n" + device +
                           " +DISK_BUS_SCSI +67108864 +" + path + " +true\n"));
  const ProcessResult two = Run({"vm.disk_create", "dev-vm", "create_size=1G", "file=/x"});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_THAT(two.err, HasSubstr("give exactly one of create_size=SIZE, file=PATH"));

  // An access NIC becomes trunked in place on the running VM.
  nlohmann::json nic = Json({"vm.nic_create", "dev-vm", "network=vlan.10"});
  const std::string mac = nic["mac"];
  const std::string tap = nic["tap"];
  EXPECT_EQ(Json({"vm.on", "dev-vm"})["power_state"], "POWER_STATE_ON");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");
  EXPECT_EQ(PortColumn(tap, "trunks"), "[]");
  nlohmann::json updated =
      Json({"vm.nic_update", "dev-vm", mac, "vlan_mode=kTrunked", "trunked_networks=20,30"});
  EXPECT_EQ(updated["spec"]["network"], "vlan.10");  // kept
  EXPECT_EQ(PortColumn(tap, "vlan_mode"), "native-untagged");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");
  EXPECT_EQ(PortColumn(tap, "trunks"), "[20, 30]");
  // Back to access: the trunks go too.
  Json({"vm.nic_update", "dev-vm", mac, "vlan_mode=kAccess"});
  EXPECT_EQ(PortColumn(tap, "trunks"), "[]");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");

  EXPECT_EQ(Json({"vm.off", "dev-vm"})["power_state"], "POWER_STATE_OFF");
  EXPECT_EQ(Ok({"vm.disk_delete", "dev-vm", device}), "disk " + device + " of vm dev-vm deleted\n");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(Json({"vm.get", "dev-vm"})["disks"].size(), 0u);
  Ok({"vm.delete", "dev-vm"});
}

// `hvctl … events.watch …` in the background, its output in `log`.
class Watch {
 public:
  Watch(const std::vector<std::string>& argv, const std::string& log)
      : log_(log), process_((std::filesystem::remove(log), argv), log) {}

  BackgroundProcess& process() { return process_; }
  // Each line parsed as JSON (discarded values for lines that are not).
  std::vector<nlohmann::json> Events() const {
    std::vector<nlohmann::json> events;
    std::istringstream lines(ReadFile(log_));
    for (std::string line; std::getline(lines, line);) {
      events.push_back(nlohmann::json::parse(line, nullptr, false));
    }
    return events;
  }

 private:
  std::string log_;
  BackgroundProcess process_;
};

TEST_F(HvctlTest, EventsWatchStreamsUntilCountDurationOrCtrlC) {
  // count=: exits by itself after that many events, each a JSON line.
  {
    Watch watch(Argv({"-o", "json", "events.watch", "kinds=kNetwork", "count=3"}),
                BuildDir() + "/hvctl-test-watch1.log");
    for (int i = 1; i <= 120 && watch.process().Running(); ++i) {
      Run({"net.create", "evt." + std::to_string(i), "vlan=" + std::to_string(100 + i)});
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(watch.process().Wait(std::chrono::seconds(60)), 0);
    const std::vector<nlohmann::json> events = watch.Events();
    ASSERT_EQ(events.size(), 3u) << ReadFile(BuildDir() + "/hvctl-test-watch1.log");
    for (nlohmann::json e : events) {
      ASSERT_FALSE(e.is_discarded());
      EXPECT_EQ(e["kind"], "EVENT_KIND_NETWORK");
      EXPECT_EQ(e["network"]["change"], "created");
      EXPECT_THAT(e["object_name"].get<std::string>(), ::testing::StartsWith("evt."));
      EXPECT_FALSE(e["resume_token"].get<std::string>().empty());
    }
  }
  // Ctrl-C (text mode): a clean exit (0) once the stream runs.
  {
    const std::string log = BuildDir() + "/hvctl-test-watch2.log";
    Watch watch(Argv({"events.watch", "kinds=kNetwork"}), log);
    bool streaming = false;
    for (int i = 1; i <= 120 && !streaming; ++i) {
      Run({"net.create", "int." + std::to_string(i), "vlan=" + std::to_string(300 + i)});
      for (int j = 0; j < 10 && !streaming; ++j) {
        streaming = !ReadFile(log).empty();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    ASSERT_TRUE(streaming);
    // Text: SEQUENCE TIME KIND OBJECT key=value…
    EXPECT_THAT(ReadFile(log), MatchesRegex("[0-9]+ [0-9T:.Z-]+ NETWORK int\\.[0-9]+ "
                                            "network=int\\.[0-9]+ change=created "
                                            "vlan_id=3[0-9]+\n(.|\n)*"));
    EXPECT_TRUE(watch.process().Running());
    watch.process().Signal(SIGINT);
    EXPECT_EQ(watch.process().Wait(std::chrono::seconds(60)), 0);
  }
  // duration=: stops by itself even when nothing happens.
  {
    Watch watch(Argv({"events.watch", "kinds=kMigration", "duration=1"}),
                BuildDir() + "/hvctl-test-watch3.log");
    EXPECT_EQ(watch.process().Wait(std::chrono::seconds(60)), 0);
  }
}

TEST_F(HvctlTest, BadCommandLinesFailWithOneLineAndChangeNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"vmm.create", "x"}, "hvctl: unknown object 'vmm' in 'vmm.create' (did you mean vm?)"},
      {{"vm.creat", "x"}, "hvctl: unknown command 'vm.creat' (did you mean vm.create?)"},
      {{"net.create", "bad.net", "vlan=5000"},
       "hvctl: net.create: vlan: must be a whole number from 0 to 4094 (is '5000')"},
      {{"net.create", "bad.net", "vlan=10", "colour=red"},
       "hvctl: net.create: unknown key 'colour'"},
      {{"net.create", "bad.net"}, "hvctl: net.create: missing required key vlan=<int>"},
      {{"net.create", "bad.net", "vlan=10", "vlan=11"},
       "hvctl: net.create: key 'vlan' given twice"},
      {{"vm.create", "bad-vm", "num_vcpus=1", "memory=12Q"},
       "hvctl: vm.create: memory: must be a size"},
      {{"vm.nic_create", "fooVM", "network=vlan.10", "vlan_mode=kTrunk"},
       "hvctl: vm.nic_create: vlan_mode: must be one of kAccess, kTrunked (is 'kTrunk')"},
      {{"vm.nic_create", "fooVM", "network=vlan.10", "trunked_networks=10,20"},
       "hvctl: vm.nic_create: trunked_networks needs vlan_mode=kTrunked"},
      {{"vm.nic_delete", "fooVM"}, "hvctl: vm.nic_delete: missing MAC"},
  };
  for (const Case& c : cases) {
    const ProcessResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(c.args);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_THAT(r.err, ::testing::StartsWith(c.error)) << ::testing::PrintToString(c.args);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // None of them reached the agent.
  EXPECT_EQ(Run({"net.get", "bad.net"}).exit_code, 1);
  EXPECT_EQ(Run({"vm.get", "bad-vm"}).exit_code, 1);
  // A global option after the command, and an unknown option.
  EXPECT_EQ(Run({"net.list", "-o", "json"}).exit_code, 2);
  EXPECT_EQ(RunProcess({Hvctl(), "--colour", "net.list"}).exit_code, 2);
}

TEST_F(HvctlTest, PipedScriptRunsEveryLineAndReportsTheFirstFailure) {
  const std::string script_path = BuildDir() + "/hvctl-test-script.txt";
  {
    std::ofstream script(script_path);
    script << "# networks for the script test\n"
              "net.create script.a vlan=41\n"
              "\n"
              "net.create script.b vlan=9999\n"  // refused by the parser: 2
              "net.get script.missing\n"         // refused by the agent: 1
              "net.create script.c vlan=43   # still runs\n";
  }
  const ProcessResult r = RunProcess({"/bin/sh", "-c", "\"$0\" --endpoint \"$1\" < \"$2\"", Hvctl(),
                                      "unix:" + agent_->socket(), script_path});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(Json({"net.get", "script.a"})["vlan_id"], 41);
  EXPECT_EQ(Json({"net.get", "script.c"})["vlan_id"], 43);
  EXPECT_EQ(Run({"net.get", "script.b"}).exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));
}

// Drives hvctl's shell through a pseudo-terminal: argv[1] is HOME, the rest
// hvctl's argv; stdin holds the keystrokes, one chunk per line, sent with a
// pause so that completion answers before the next key; prints what the
// terminal showed.
constexpr const char* kPtyDriver = R"(
import os, pty, select, sys, time
keys = sys.stdin.read().split("\n")
pid, fd = pty.fork()
if pid == 0:
    os.environ["HOME"] = sys.argv[1]
    os.execv(sys.argv[2], sys.argv[2:])
out = b""
def pump(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                return
pump(2)
for chunk in keys:
    if chunk:
        os.write(fd, chunk.replace("<TAB>", "\t").replace("<RET>", "\r").encode())
        pump(3)
os.waitpid(pid, 0)
pump(0.5)
sys.stdout.write(out.decode(errors="replace"))
)";

TEST_F(HvctlTest, InteractiveShellCompletesAndKeepsHistory) {
  const std::string home = BuildDir() + "/hvctl-test-home";
  std::filesystem::remove_all(home);
  std::filesystem::create_directories(home);
  const std::string keys_path = home + "/keys";
  {
    std::ofstream keys(keys_path);
    keys << "net.create shell.net vlan=51<RET>\n"
            "net.g<TAB>\n"  // completes to "net.get "
            "shell.net<RET>\n"
            "vm.nic_create no-such-vm network=shell.net vlan_m<TAB>\n"  // "vlan_mode="
            "kT<TAB>\n"                                                 // "kTrunked "
            "trunked_networks=7<RET>\n"
            "exit<RET>\n";
  }
  const ProcessResult r =
      RunProcess({"/bin/sh", "-c", "k=$1; shift; /usr/bin/python3 -c \"$0\" \"$@\" < \"$k\"",
                  kPtyDriver, keys_path, home, Hvctl(), "--endpoint", "unix:" + agent_->socket()},
                 std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.err;
  // net.get ran after completion, and printed the network.
  EXPECT_THAT(r.out, MatchesRegex("(.|\n)*\nvlan_id +51\r?\n(.|\n)*")) << r.out;
  // The NIC line parsed (vlan_mode=kTrunked completed): the agent answered it.
  EXPECT_THAT(r.out, HasSubstr("hvctl: vm.nic_create no-such-vm: NOT_FOUND")) << r.out;
  const std::string history = ReadFile(home + "/.hvctl_history");
  EXPECT_THAT(history, HasSubstr("net.get\\040shell.net"));
  EXPECT_THAT(history, HasSubstr("vlan_mode=kTrunked\\040trunked_networks=7"));
  Ok({"net.delete", "shell.net"});
}

// bridge.*, tunnel.*, mirror.*, bond.* end to end, checked in OVSDB. (They
// need the agent's Open vSwitch methods, issue 5.)
TEST_F(HvctlTest, SwitchCommandsReachOvsdb) {
  auto exists = [](const std::string& table, const std::string& name) {
    return bed_->Vsctl({"--if-exists", "get", table, name, "name"}).out.find(name) !=
           std::string::npos;
  };
  // Bridges.
  nlohmann::json bridge = Json({"bridge.create", "br-cli", "datapath_type=netdev"});
  EXPECT_EQ(bridge["name"], "br-cli");
  EXPECT_EQ(PortColumn("br-cli", "name"), "br-cli");  // its own internal port
  EXPECT_EQ(bed_->Vsctl({"get", "Bridge", "br-cli", "datapath_type"}).out, "netdev\n");
  EXPECT_THAT(Ok({"bridge.list"}),
              MatchesRegex("(.|\n)*\nbr-cli +DATAPATH_TYPE_NETDEV +true\n(.|\n)*"));
  EXPECT_EQ(Json({"bridge.get", "br0"})["name"], "br0");

  // Tunnels.
  nlohmann::json tunnel =
      Json({"tunnel.create", "vx-cli", "remote_ip=172.31.9.9", "vni=5001", "bridge=br-cli"});
  EXPECT_EQ(tunnel["vni"], 5001);
  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "vx-cli", "type"}).out, "vxlan\n");
  EXPECT_EQ(bed_->Vsctl({"get", "Interface", "vx-cli", "options:remote_ip"}).out,
            "\"172.31.9.9\"\n");
  EXPECT_THAT(Ok({"tunnel.list"}),
              MatchesRegex("(.|\n)*\nvx-cli +br-cli +172\\.31\\.9\\.9 +5001 .*\n(.|\n)*"));
  EXPECT_EQ(Ok({"tunnel.delete", "vx-cli"}), "tunnel vx-cli deleted\n");
  EXPECT_FALSE(exists("Interface", "vx-cli"));

  // Mirrors: every packet on br-cli copied to an internal port.
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br-cli", "pm-cli", "--", "set", "Interface", "pm-cli",
                           "type=internal"})
                  .ok());
  nlohmann::json mirror =
      Json({"mirror.create", "m-cli", "bridge=br-cli", "output_port=pm-cli", "select_all=true"});
  EXPECT_EQ(mirror["output_port"], "pm-cli");
  EXPECT_EQ(bed_->Vsctl({"get", "Mirror", "m-cli", "select_all"}).out, "true\n");
  EXPECT_THAT(Ok({"mirror.list"}), MatchesRegex("(.|\n)*\nm-cli +br-cli +pm-cli .*\n(.|\n)*"));
  EXPECT_EQ(Ok({"mirror.delete", "m-cli"}), "mirror m-cli deleted\n");
  EXPECT_FALSE(exists("Mirror", "m-cli"));
  bed_->Vsctl({"del-port", "br-cli", "pm-cli"});

  // Bonds of two veths standing in for physical NICs.
  for (const std::string nic : {"cliup0", "cliup1"}) {
    ASSERT_TRUE(
        bed_->Exec({"ip", "link", "add", nic, "type", "veth", "peer", "name", nic + "p"}).ok());
    bed_->Exec({"ip", "link", "set", nic, "up"});
    bed_->Exec({"ip", "link", "set", nic + "p", "up"});
  }
  nlohmann::json bond = Json(
      {"bond.create", "bond-cli", "bridge=br-cli", "members=cliup0,cliup1", "mode=balance-slb"});
  EXPECT_EQ(bond["spec"]["mode"], "BOND_MODE_BALANCE_SLB");
  EXPECT_EQ(PortColumn("bond-cli", "bond_mode"), "balance-slb");
  const nlohmann::json got = Json({"bond.get", "bond-cli"});
  EXPECT_EQ(got["members"].size(), 2u) << got.dump();
  // An update changes what it names and keeps the members.
  nlohmann::json updated = Json({"bond.update", "bond-cli", "mode=active-backup"});
  EXPECT_EQ(updated["spec"]["members"], nlohmann::json::array({"cliup0", "cliup1"}));
  EXPECT_EQ(PortColumn("bond-cli", "bond_mode"), "active-backup");
  EXPECT_THAT(Ok({"bond.list"}), HasSubstr("bond-cli"));
  EXPECT_EQ(Ok({"bond.delete", "bond-cli"}), "bond bond-cli deleted\n");
  EXPECT_EQ(PortColumn("bond-cli", "name"), "(missing)");

  EXPECT_EQ(Ok({"bridge.delete", "br-cli"}), "bridge br-cli deleted\n");
  EXPECT_FALSE(exists("Bridge", "br-cli"));
  for (const std::string nic : {"cliup0", "cliup1"}) bed_->Exec({"ip", "link", "del", nic});
}

TEST_F(HvctlTest, TcpEndpointWithMutualTls) {
  TestPki pki(BuildDir() + "/hvctl-test-tls");
  ASSERT_TRUE(pki.MakeCa("ca", "hvctl test CA"));
  ASSERT_TRUE(pki.MakeCert("server", "localhost", "ca", TestPki::Kind::kServer));
  ASSERT_TRUE(pki.MakeCert("client", "hvctl", "ca", TestPki::Kind::kClient));
  auto path = [&](const std::string& name) { return pki.Path(name); };

  std::unique_ptr<AgentProcess> tcp_agent;
  int port = 0;
  for (int attempt = 0; attempt < 3 && tcp_agent == nullptr; ++attempt) {
    port = FreePort();
    ASSERT_NE(port, 0);
    auto agent = std::make_unique<AgentProcess>(
        AgentOptions{.ovsdb_endpoint = "unix:" + bed_->ovsdb_socket(),
                     .extra_args = {"--tcp-listen", "127.0.0.1:" + std::to_string(port),
                                    "--tls-cert", path("server.pem"), "--tls-key",
                                    path("server.key"), "--tls-client-ca", path("ca.pem")}});
    if (agent->Start()) tcp_agent = std::move(agent);
  }
  ASSERT_NE(tcp_agent, nullptr);
  const std::string endpoint = "127.0.0.1:" + std::to_string(port);

  const ProcessResult host =
      RunProcess({Hvctl(), "--endpoint", endpoint, "--tls-ca", path("ca.pem"), "--tls-cert",
                  path("client.pem"), "--tls-key", path("client.key"), "-o", "json", "host.get"});
  ASSERT_EQ(host.exit_code, 0) << host.err;
  EXPECT_EQ(nlohmann::json::parse(host.out)["libvirt"]["endpoint"], "test:///default");

  // TCP is mutual TLS only: without the files, hvctl says so and sends nothing.
  const ProcessResult plain = RunProcess({Hvctl(), "--endpoint", endpoint, "host.get"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_THAT(plain.err, HasSubstr("a TCP endpoint needs --tls-ca, --tls-cert and --tls-key"));
  const ProcessResult missing =
      RunProcess({Hvctl(), "--endpoint", endpoint, "--tls-ca", path("nope.pem"), "--tls-cert",
                  path("client.pem"), "--tls-key", path("client.key"), "host.get"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--tls-ca: cannot read"));
  // A client certificate the agent's CA did not sign (the server's own key pair
  // is signed by it, but a CA-less self-signed one is not): refused by the agent.
  ASSERT_TRUE(pki.MakeCa("rogue", "rogue"));
  const ProcessResult rogue =
      RunProcess({Hvctl(), "--endpoint", endpoint, "--timeout", "10", "--tls-ca", path("ca.pem"),
                  "--tls-cert", path("rogue.pem"), "--tls-key", path("rogue.key"), "host.get"});
  EXPECT_EQ(rogue.exit_code, 1);
  EXPECT_THAT(rogue.err, HasSubstr("hvctl: host.get: UNAVAILABLE"));
}

TEST_F(HvctlTest, CommandsTheAgentDoesNotImplementYetFailCleanly) {
  // A migration to an agent that is not there: the agent's refusal, on one
  // line, exit 1.
  Ok({"vm.create", "mig-vm", "num_vcpus=1", "memory=64M"});
  const ProcessResult migrate = Run({"vm.migrate", "mig-vm", "host=unix:/nonexistent/hvagent.sock",
                                     "libvirt_uri=qemu+tcp://192.0.2.1/system", "live=false"});
  EXPECT_EQ(migrate.exit_code, 1);
  EXPECT_THAT(migrate.err, MatchesRegex("hvctl: vm\\.migrate mig-vm: UNAVAILABLE: [^\n]*\n"));
  Ok({"vm.delete", "mig-vm"});

  // Bridges, bonds, tunnels and mirrors are being built now: whichever the
  // agent answers, hvctl either succeeds or prints one line naming the code.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"bridge.list"},
                                             {"bridge.get", "br0"},
                                             {"bond.list"},
                                             {"bond.get", "br0-up"},
                                             {"tunnel.list"},
                                             {"mirror.list"}}) {
    const ProcessResult r = Run(args);
    std::cout << "  " << args[0] << ": exit " << r.exit_code << " " << r.err;
    if (r.exit_code == 0) continue;
    EXPECT_EQ(r.exit_code, 1) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, MatchesRegex("hvctl: " + args[0] + "[^:]*: [A-Z_]+: [^\n]*\n")) << r.err;
  }
}

}  // namespace
}  // namespace hvagent::testing
