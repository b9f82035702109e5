#include "hvagent/host/host_facts.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace hvagent::host {

namespace {

std::string ReadTrimmed(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  return value;
}

}  // namespace

StatusOr<HostFacts> ReadHostFacts(const std::string& root) {
  namespace fs = std::filesystem;
  HostFacts facts;
  const fs::path cpu_dir = fs::path(root) / "sys/devices/system/cpu";
  std::set<std::pair<std::string, std::string>> cores;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cpu_dir, ec)) {
    const std::string name = entry.path().filename();
    if (!name.starts_with("cpu") || name.size() == 3 ||
        name.find_first_not_of("0123456789", 3) != std::string::npos) {
      continue;
    }
    const fs::path topology = entry.path() / "topology";
    if (!fs::exists(topology / "core_id", ec)) continue;  // offline CPU
    cores.emplace(ReadTrimmed(topology / "physical_package_id"), ReadTrimmed(topology / "core_id"));
  }
  if (ec || cores.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("cannot read the CPU topology under {}", cpu_dir.string()));
  }
  facts.physical_cores = static_cast<uint32_t>(cores.size());

  std::ifstream meminfo(fs::path(root) / "proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemTotal:") {
      facts.memory_bytes = kib * 1024;
      break;
    }
  }
  if (facts.memory_bytes == 0) {
    return absl::FailedPreconditionError(
        fmt::format("cannot read MemTotal from {}/proc/meminfo", root));
  }
  return facts;
}

}  // namespace hvagent::host
