#include "hvagent_test/testbed_pair.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "hvagent_test/temp_dir.h"

namespace hvagent::testing {

namespace {
std::string PairScript() { return SourceDir() + "/scripts/testbed-pair"; }
}  // namespace

std::unique_ptr<TestbedPair> TestbedPair::Start(std::string* error) {
  const std::string templ = MakeTempDir("hvtp", error);
  if (templ.empty()) return nullptr;
  std::unique_ptr<TestbedPair> pair(new TestbedPair());
  const ProcessResult up = RunProcess({PairScript(), "up", templ}, std::chrono::seconds(180));
  if (!up.ok()) {
    *error = "testbed-pair up failed (exit " + std::to_string(up.exit_code) + "): " + up.err;
    std::error_code ec;
    std::filesystem::remove_all(templ, ec);  // the script took down what it started
    return nullptr;
  }
  pair->dir_ = templ;
  auto vars = ReadEnvFile(templ + "/env");
  pair->a_remote_uri_ = vars["HVTP_A_REMOTE_LIBVIRT_URI"];
  pair->b_remote_uri_ = vars["HVTP_B_REMOTE_LIBVIRT_URI"];
  pair->a_migration_addr_ = vars["HVTP_A_MIGRATION_ADDR"];
  pair->b_migration_addr_ = vars["HVTP_B_MIGRATION_ADDR"];
  pair->a_ = Testbed::Adopt(templ + "/a", error);
  if (pair->a_ == nullptr) return nullptr;
  pair->b_ = Testbed::Adopt(templ + "/b", error);
  if (pair->b_ == nullptr) return nullptr;
  return pair;
}

TestbedPair::~TestbedPair() {
  a_.reset();
  b_.reset();
  if (dir_.empty()) return;
  const ProcessResult down = RunProcess({PairScript(), "down", dir_}, std::chrono::seconds(180));
  if (down.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  } else {
    (void)fprintf(stderr, "testbed-pair down failed: %s\n", down.err.c_str());
  }
}

}  // namespace hvagent::testing
