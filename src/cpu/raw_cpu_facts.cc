#include "hvagent/cpu/raw_cpu_facts.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace hvagent::cpu {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

uint32_t ToUint(std::string_view s) {
  uint32_t value = 0;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

}  // namespace

StatusOr<RawCpuFacts> ParseCpuInfo(std::string_view cpuinfo) {
  RawCpuFacts facts;
  std::set<std::string> packages;
  uint32_t siblings = 0;
  std::istringstream in{std::string(cpuinfo)};
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view whole = line;
    const std::string_view key = Trim(whole.substr(0, colon));
    const std::string_view value = Trim(whole.substr(colon + 1));
    if (key == "processor") {
      ++facts.logical_cpus;
    } else if (key == "physical id") {
      packages.insert(std::string(value));
    }
    // Identity from the first processor: they are all alike on x86 servers.
    if (facts.logical_cpus != 1) continue;
    if (key == "vendor_id") facts.vendor_id = value;
    if (key == "model name") facts.model_name = value;
    if (key == "cpu family") facts.family = ToUint(value);
    if (key == "model") facts.model = ToUint(value);
    if (key == "stepping") facts.stepping = ToUint(value);
    if (key == "microcode") facts.microcode = value;
    if (key == "cpu cores") facts.cores_per_socket = ToUint(value);
    if (key == "siblings") siblings = ToUint(value);
  }
  if (facts.logical_cpus == 0 || facts.vendor_id.empty()) {
    return absl::FailedPreconditionError("/proc/cpuinfo has no processor with a vendor_id");
  }
  facts.sockets = packages.empty() ? 1 : static_cast<uint32_t>(packages.size());
  if (facts.cores_per_socket == 0) facts.cores_per_socket = facts.logical_cpus / facts.sockets;
  facts.threads_per_core = siblings >= facts.cores_per_socket && facts.cores_per_socket > 0
                               ? siblings / facts.cores_per_socket
                               : 1;
  return facts;
}

StatusOr<RawCpuFacts> ReadRawCpuFacts(const std::string& root) {
  const std::filesystem::path path = std::filesystem::path(root) / "proc/cpuinfo";
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(fmt::format("cannot read {}", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto facts = ParseCpuInfo(text.str());
  if (!facts.ok()) return Annotate(facts.status(), path.string());
  return facts;
}

}  // namespace hvagent::cpu
