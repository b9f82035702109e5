// A bare ovsdb-server (no ovs-vswitchd) on a unix socket in a temp directory,
// with a fresh Open_vSwitch database: hermetic, no root needed. How OVS tests
// its own ovs-vsctl.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hvagent_test/subprocess.h"

namespace hvagent::testing {

class OvsdbServer {
 public:
  // Creates the database and starts the server; null with `error` on failure.
  static std::unique_ptr<OvsdbServer> Start(std::string* error);
  ~OvsdbServer();
  OvsdbServer(const OvsdbServer&) = delete;
  OvsdbServer& operator=(const OvsdbServer&) = delete;

  // "unix:/tmp/…/db.sock"
  std::string endpoint() const { return "unix:" + dir_ + "/db.sock"; }
  // ovs-vsctl --no-wait against this database (there is no ovs-vswitchd).
  ProcessResult Vsctl(const std::vector<std::string>& args);
  // Stops the server, keeping its database; Resume starts it again.
  void Stop();
  bool Resume(std::string* error);

 private:
  OvsdbServer() = default;
  bool Launch(std::string* error);

  std::string dir_;
};

}  // namespace hvagent::testing
