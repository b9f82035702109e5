#include "hvagent_test/testbed.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "hvagent_test/start_or_fail.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::testing {

std::string SourceDir() { return HVAGENT_SOURCE_DIR; }
std::string BuildDir() { return HVAGENT_BINARY_DIR; }

namespace {
// One literal, not SourceDir() + "...": at -O2 with the tests' precompiled
// header GCC 12 reports that operator+ on a temporary std::string copies out
// of bounds (-Warray-bounds), a known false positive of GCC 12 and 13 (as in
// canonical/mir#2987); the release `make bench` build stopped on it.
std::string TestbedScript() { return HVAGENT_SOURCE_DIR "/scripts/testbed"; }
}  // namespace

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> vars;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

std::unique_ptr<Testbed> StartTestbedWithBr0OrFail() {
  std::unique_ptr<Testbed> bed = StartOrFail<Testbed>();
  if (bed == nullptr) return nullptr;
  if (!bed->AddNetdevBridge("br0")) {
    ADD_FAILURE() << "cannot add br0 on the testbed";
    return nullptr;
  }
  return bed;
}

std::unique_ptr<Testbed> Testbed::Start(std::string* error) {
  std::unique_ptr<Testbed> bed(new Testbed());
  bed->state_dir_ = MakeTempDir("hvtb", error);
  if (bed->state_dir_.empty()) return nullptr;
  const ProcessResult up =
      RunProcess({TestbedScript(), "up", bed->state_dir_}, std::chrono::seconds(120));
  if (!up.ok()) {
    *error = "testbed up failed (exit " + std::to_string(up.exit_code) + "): " + up.err;
    bed->state_dir_.clear();  // the script already tore down what it started
    return nullptr;
  }
  auto vars = ReadEnvFile(bed->state_dir_ + "/env");
  bed->netns_ = vars["HVTB_NETNS"];
  bed->ovsdb_socket_ = vars["HVTB_OVSDB_SOCK"];
  bed->libvirt_uri_ = vars["HVTB_LIBVIRT_URI"];
  return bed;
}

std::unique_ptr<Testbed> Testbed::Adopt(const std::string& state_dir, std::string* error) {
  auto vars = ReadEnvFile(state_dir + "/env");
  if (vars["HVTB_NETNS"].empty()) {
    *error = "no testbed in " + state_dir;
    return nullptr;
  }
  std::unique_ptr<Testbed> bed(new Testbed());
  bed->state_dir_ = state_dir;
  bed->owned_ = false;
  bed->netns_ = vars["HVTB_NETNS"];
  bed->ovsdb_socket_ = vars["HVTB_OVSDB_SOCK"];
  bed->libvirt_uri_ = vars["HVTB_LIBVIRT_URI"];
  return bed;
}

Testbed::~Testbed() {
  // `down` kills every process in the namespace: leave it first.
  if (original_netns_ >= 0) {
    setns(original_netns_, CLONE_NEWNET);
    close(original_netns_);
  }
  if (state_dir_.empty() || !owned_) return;
  const ProcessResult down =
      RunProcess({TestbedScript(), "down", state_dir_}, std::chrono::seconds(120));
  if (down.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  } else {
    (void)fprintf(stderr, "testbed down failed: %s\n", down.err.c_str());
  }
}

ProcessResult Testbed::Exec(const std::vector<std::string>& argv) {
  std::vector<std::string> full{"ip", "netns", "exec", netns_};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunProcess(full);
}

bool Testbed::EnterNetns() {
  if (original_netns_ < 0) original_netns_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int fd = open(("/var/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = setns(fd, CLONE_NEWNET) == 0;
  close(fd);
  return ok;
}

bool Testbed::StopDaemon(const std::string& which) {
  return RunProcess({TestbedScript(), "stop", state_dir_, which}).ok();
}

bool Testbed::StartDaemon(const std::string& which) {
  return RunProcess({TestbedScript(), "start", state_dir_, which}, std::chrono::seconds(60)).ok();
}

bool Testbed::AddNetdevBridge(const std::string& name) {
  return Vsctl({"add-br", name, "--", "set", "bridge", name, "datapath_type=netdev"}).ok();
}

std::unique_ptr<ovsdb::Client> Testbed::OvsdbClient() const {
  auto client = std::make_unique<ovsdb::Client>(
      ovsdb::ClientOptions{.endpoint = "unix:" + ovsdb_socket_, .wait_for_apply = true});
  if (!client->WaitConnected(std::chrono::seconds(30))) return nullptr;
  return client;
}

ProcessResult Testbed::Vsctl(const std::vector<std::string>& args) {
  std::vector<std::string> full{"ovs-vsctl", "--db=unix:" + ovsdb_socket_, "--timeout=20"};
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess(full);
}

bool Testbed::AddHostNamespace(const std::string& suffix, const std::string& ifname,
                               const std::string& cidr, const std::string& port,
                               std::string* error) {
  const std::string ns = netns_ + "-" + suffix;
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "netns", "add", ns},
      {"ip", "link", "add", port, "netns", netns_, "type", "veth", "peer", "name", ifname, "netns",
       ns},
      {"ip", "-n", netns_, "link", "set", port, "up"},
      {"ip", "-n", ns, "link", "set", "lo", "up"},
      {"ip", "-n", ns, "addr", "add", cidr, "dev", ifname},
      {"ip", "-n", ns, "link", "set", ifname, "up"},
  };
  for (const auto& step : steps) {
    const ProcessResult r = RunProcess(step);
    if (!r.ok()) {
      *error = step[0] + " " + step[1] + " " + step[2] + "… failed: " + r.err;
      return false;
    }
  }
  return true;
}

ProcessResult Testbed::ExecIn(const std::string& suffix, const std::vector<std::string>& argv) {
  std::vector<std::string> full{"ip", "netns", "exec", netns_ + "-" + suffix};
  full.insert(full.end(), argv.begin(), argv.end());
  return RunProcess(full);
}

bool Testbed::Reset(std::string* error) {
  const ProcessResult bridges = Vsctl({"list-br"});
  if (!bridges.ok()) {
    *error = "ovs-vsctl list-br: " + bridges.err;
    return false;
  }
  std::istringstream names(bridges.out);
  for (std::string bridge; std::getline(names, bridge);) {
    if (bridge.empty()) continue;
    if (const ProcessResult r = Vsctl({"--if-exists", "del-br", bridge}); !r.ok()) {
      *error = "ovs-vsctl del-br " + bridge + ": " + r.err;
      return false;
    }
  }
  // Host namespaces: "<netns>-<suffix>".
  const ProcessResult namespaces = RunProcess({"ip", "netns", "list"});
  std::istringstream ns_lines(namespaces.out);
  for (std::string line; std::getline(ns_lines, line);) {
    const std::string ns = line.substr(0, line.find(' '));
    if (ns.rfind(netns_ + "-", 0) != 0) continue;
    if (const ProcessResult r = RunProcess({"ip", "netns", "del", ns}); !r.ok()) {
      *error = "ip netns del " + ns + ": " + r.err;
      return false;
    }
  }
  // Links: "2: name@peer: <…>" with -o; the datapath's own stays.
  const ProcessResult links = Exec({"ip", "-o", "link", "show"});
  std::istringstream link_lines(links.out);
  for (std::string line; std::getline(link_lines, line);) {
    const size_t start = line.find(": ");
    if (start == std::string::npos) continue;
    std::string name = line.substr(start + 2, line.find(':', start + 2) - start - 2);
    name = name.substr(0, name.find('@'));
    if (name == "lo" || name == "ovs-netdev") continue;
    // A veth's peer may have gone with it already: only a link still there
    // that cannot be deleted is an error.
    if (!Exec({"ip", "link", "del", name}).ok() && Exec({"ip", "link", "show", name}).ok()) {
      *error = "ip link del " + name + " failed";
      return false;
    }
  }
  return true;
}

Testbed* SharedTestbed(std::string* error) {
  static std::unique_ptr<Testbed> shared;
  static std::string start_error;
  if (!shared && start_error.empty()) {
    shared = Testbed::Start(&start_error);
    if (!shared && start_error.empty()) start_error = "testbed did not start";
  }
  if (!shared) {
    *error = start_error;
    return nullptr;
  }
  if (!shared->Reset(error)) return nullptr;
  return shared.get();
}

}  // namespace hvagent::testing
