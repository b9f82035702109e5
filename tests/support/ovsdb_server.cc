#include "hvagent_test/ovsdb_server.h"

#include <signal.h>

#include <filesystem>
#include <thread>

#include "hvagent_test/temp_dir.h"
#include "hvagent_test/test_guest.h"

namespace hvagent::testing {

std::unique_ptr<OvsdbServer> OvsdbServer::Start(std::string* error) {
  std::unique_ptr<OvsdbServer> server(new OvsdbServer());
  server->dir_ = MakeTempDir("hvovsdb", error);
  if (server->dir_.empty()) return nullptr;
  const ProcessResult created = RunProcess({"ovsdb-tool", "create", server->dir_ + "/conf.db",
                                            "/usr/share/openvswitch/vswitch.ovsschema"});
  if (!created.ok()) {
    *error = "ovsdb-tool create: " + created.err;
    return nullptr;
  }
  if (!server->Launch(error)) return nullptr;
  if (!server->Vsctl({"init"}).ok()) {
    *error = "ovs-vsctl init failed";
    return nullptr;
  }
  return server;
}

bool OvsdbServer::Launch(std::string* error) {
  const ProcessResult started = RunProcess(
      {"ovsdb-server", dir_ + "/conf.db", "--remote=punix:" + dir_ + "/db.sock",
       "--unixctl=" + dir_ + "/ovsdb-server.ctl", "--pidfile=" + dir_ + "/ovsdb-server.pid",
       "--log-file=" + dir_ + "/ovsdb-server.log", "-vconsole:off", "--detach", "--no-chdir"});
  if (!started.ok()) {
    *error = "ovsdb-server: " + started.err;
    return false;
  }
  for (int i = 0; i < 100 && !std::filesystem::exists(dir_ + "/db.sock"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

ProcessResult OvsdbServer::Vsctl(const std::vector<std::string>& args) {
  std::vector<std::string> full{"ovs-vsctl", "--db=" + endpoint(), "--no-wait", "--timeout=10"};
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess(full);
}

void OvsdbServer::Stop() {
  const std::string pid_text = ReadFile(dir_ + "/ovsdb-server.pid");
  if (pid_text.empty()) return;
  const pid_t pid = std::stoi(pid_text);
  kill(pid, SIGTERM);
  for (int i = 0;
       i < 100 && kill(pid, 0) == 0 &&
       ReadFile("/proc/" + std::to_string(pid) + "/stat").find(") Z ") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::filesystem::remove(dir_ + "/ovsdb-server.pid");
  std::filesystem::remove(dir_ + "/db.sock");
}

bool OvsdbServer::Resume(std::string* error) { return Launch(error); }

OvsdbServer::~OvsdbServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace hvagent::testing
