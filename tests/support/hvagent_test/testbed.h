// The host testbed (scripts/testbed) from C++ tests: real ovsdb-server,
// ovs-vswitchd, virtlogd and libvirtd in a private network namespace.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hvagent/ovsdb/client.h"
#include "hvagent_test/subprocess.h"

namespace hvagent::testing {

// The source tree and build tree, compiled in by CMake.
std::string SourceDir();
std::string BuildDir();
// The KEY=VALUE lines a testbed script writes to its env file.
std::map<std::string, std::string> ReadEnvFile(const std::string& path);

class Testbed {
 public:
  // Brings a testbed up in a fresh state directory. Returns null, with the
  // reason in `error`, if it cannot.
  static std::unique_ptr<Testbed> Start(std::string* error);
  // A testbed someone else brought up in `state_dir` (scripts/testbed-pair):
  // this object uses it but leaves taking it down to its owner.
  static std::unique_ptr<Testbed> Adopt(const std::string& state_dir, std::string* error);
  // Takes everything down: daemons, domains, taps, the namespaces.
  ~Testbed();
  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;

  const std::string& state_dir() const { return state_dir_; }
  const std::string& netns() const { return netns_; }
  const std::string& ovsdb_socket() const { return ovsdb_socket_; }
  const std::string& libvirt_uri() const { return libvirt_uri_; }

  // Runs argv inside the testbed's network namespace.
  ProcessResult Exec(const std::vector<std::string>& argv);
  // Moves the calling thread into the testbed's network namespace (call it
  // before starting threads: they inherit it). For code under test that makes
  // interfaces itself, as the agent does.
  bool EnterNetns();
  // Stops or restarts one of the testbed's daemons: "ovsdb" (ovsdb-server),
  // "ovs" (ovs-vswitchd and ovsdb-server) or "libvirt".
  bool StopDaemon(const std::string& which);
  bool StartDaemon(const std::string& which);
  // Adds an OVS bridge on the userspace datapath (there is no kernel module).
  bool AddNetdevBridge(const std::string& name);
  // The agent's OVSDB client on this testbed's database, made as the daemon
  // makes it: a change returns once ovs-vswitchd applied it. Null if it does
  // not connect within 30 s.
  std::unique_ptr<ovsdb::Client> OvsdbClient() const;
  // ovs-vsctl against the testbed's database (tests only; never the agent).
  ProcessResult Vsctl(const std::vector<std::string>& args);
  // Creates a namespace "<netns>-<suffix>" holding `ifname` with `cidr`, whose
  // veth peer `port` sits in the testbed namespace, up. Removed by the destructor.
  bool AddHostNamespace(const std::string& suffix, const std::string& ifname,
                        const std::string& cidr, const std::string& port, std::string* error);
  // Runs argv inside the namespace made by AddHostNamespace(suffix).
  ProcessResult ExecIn(const std::string& suffix, const std::vector<std::string>& argv);
  // Back to a switch with no bridges and a namespace with no links (but lo
  // and the userspace datapath's own), and no host namespaces: what a test
  // that shares the testbed finds. The daemons keep running; libvirt's
  // domains are not touched. False, with the reason, if a step failed.
  bool Reset(std::string* error);

 private:
  Testbed() = default;

  std::string state_dir_;
  std::string netns_;
  std::string ovsdb_socket_;
  std::string libvirt_uri_;
  int original_netns_ = -1;  // set by EnterNetns, restored before teardown
  bool owned_ = true;        // false: adopted, the owner takes it down
};

// A testbed whose switch has br0 on the userspace datapath, as a suite of
// API tests starts from; null after failing the current test.
std::unique_ptr<Testbed> StartTestbedWithBr0OrFail();

// The test binary's one testbed, started at the first call and taken down at
// exit; every call (one per test's SetUp) Resets it first. Null, with the
// reason in `error`, if it cannot be started or reset. For suites whose
// tests need a clean switch, not fresh daemons.
Testbed* SharedTestbed(std::string* error);

}  // namespace hvagent::testing
