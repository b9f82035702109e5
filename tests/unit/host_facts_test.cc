// ReadHostFacts against fake /sys and /proc trees, and the maximums derived
// from the facts.
#include "hvagent/host/host_facts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "hvagent/host/configuration_maximums.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::host {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uint64_t kTiB = 1ULL << 40;

class HostFactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cpu_dir_ = root_ / "sys/devices/system/cpu";
    fs::create_directories(cpu_dir_);
    fs::create_directories(root_ / "proc");
  }

  static void Write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  // An online CPU as the kernel shows it: topology files end in a newline.
  void AddCpu(const std::string& dir_name, int package, int core) {
    Write(cpu_dir_ / dir_name / "topology/physical_package_id", std::to_string(package) + "\n");
    Write(cpu_dir_ / dir_name / "topology/core_id", std::to_string(core) + "\n");
  }

  // 2 packages × 2 cores × 2 hyper-threads: cpu0–cpu7, 4 physical cores.
  void AddTwoByTwoByTwo() {
    int n = 0;
    for (int thread = 0; thread < 2; ++thread) {
      for (int package = 0; package < 2; ++package) {
        for (int core = 0; core < 2; ++core) {
          AddCpu("cpu" + std::to_string(n++), package, core);
        }
      }
    }
  }

  void WriteMeminfo(const std::string& text) { Write(root_ / "proc/meminfo", text); }

  // Reads the facts from the tree as set up, with kMeminfo, and checks the
  // number of physical cores found.
  ::testing::AssertionResult FindsPhysicalCores(uint32_t expected) {
    WriteMeminfo(kMeminfo);
    auto facts = ReadHostFacts(root_.string());
    if (!facts.ok()) return ::testing::AssertionFailure() << facts.status();
    if (facts->physical_cores == expected) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "found " << facts->physical_cores << " cores";
  }

  static constexpr char kMeminfo[] =
      "MemTotal:       16318480 kB\n"
      "MemFree:         1187440 kB\n"
      "MemAvailable:    9854392 kB\n";

  hvagent::testing::TempDir root_{"hvagent-host-facts-test"};
  fs::path cpu_dir_;
};

TEST_F(HostFactsTest, CountsDistinctPackageCorePairs) {
  AddTwoByTwoByTwo();
  // Core ids repeat across packages: counting core ids alone would give 2,
  // counting CPUs would give 8.
  EXPECT_TRUE(FindsPhysicalCores(4));
}

TEST_F(HostFactsTest, OfflineCpuWithoutTopologyIsIgnored) {
  AddTwoByTwoByTwo();
  Write(cpu_dir_ / "cpu8/online", "0\n");
  EXPECT_TRUE(FindsPhysicalCores(4));
}

TEST_F(HostFactsTest, NonCpuDirectoriesAreIgnored) {
  AddTwoByTwoByTwo();
  // Given topology files of their own, so that only the name rules them out.
  AddCpu("cpufreq", 7, 7);
  AddCpu("cpuidle", 8, 8);
  AddCpu("cpu", 9, 9);
  Write(cpu_dir_ / "online", "0-7\n");
  Write(cpu_dir_ / "possible", "0-7\n");
  EXPECT_TRUE(FindsPhysicalCores(4));
}

TEST_F(HostFactsTest, MemTotalIsReadInKibibytes) {
  AddTwoByTwoByTwo();
  // MemTotal not first, to check it is looked up by name.
  WriteMeminfo("MemFree:         1187440 kB\nMemTotal:       16318480 kB\n");
  auto facts = ReadHostFacts(root_.string());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->memory_bytes, 16318480ULL * 1024);
}

TEST_F(HostFactsTest, MissingTopologyIsFailedPrecondition) {
  // CPU directories exist, but none has a topology.
  for (int i = 0; i < 4; ++i) Write(cpu_dir_ / ("cpu" + std::to_string(i)) / "online", "1\n");
  WriteMeminfo(kMeminfo);
  auto facts = ReadHostFacts(root_.string());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kFailedPrecondition) << facts.status();
  EXPECT_THAT(MessageOf(facts.status()), HasSubstr("topology"));
}

TEST_F(HostFactsTest, MissingCpuDirectoryIsFailedPrecondition) {
  fs::remove_all(root_ / "sys");
  WriteMeminfo(kMeminfo);
  auto facts = ReadHostFacts(root_.string());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kFailedPrecondition) << facts.status();
}

TEST_F(HostFactsTest, MissingMemTotalIsFailedPrecondition) {
  AddTwoByTwoByTwo();
  WriteMeminfo("MemFree:         1187440 kB\nMemAvailable:    9854392 kB\n");
  auto facts = ReadHostFacts(root_.string());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kFailedPrecondition) << facts.status();
  EXPECT_THAT(MessageOf(facts.status()), HasSubstr("MemTotal"));
}

TEST_F(HostFactsTest, MissingMeminfoIsFailedPrecondition) {
  AddTwoByTwoByTwo();
  auto facts = ReadHostFacts(root_.string());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kFailedPrecondition) << facts.status();
}

TEST(ConfigurationMaximumsTest, MemoryPerVmIsTheSmallerOfHostMemoryAnd4Point5TiB) {
  EXPECT_EQ(kMaxVmMemoryBytes, 4 * kTiB + kTiB / 2);
  const uint64_t small_host = 64ULL << 30;
  EXPECT_EQ(
      ComputeMaximums({.physical_cores = 4, .memory_bytes = small_host}, 10).memory_bytes_per_vm,
      small_host);
  EXPECT_EQ(
      ComputeMaximums({.physical_cores = 4, .memory_bytes = 6 * kTiB}, 10).memory_bytes_per_vm,
      4 * kTiB + kTiB / 2);
}

TEST(ConfigurationMaximumsTest, VcpusDiskAndNetworksComeFromTheirSources) {
  const auto max = ComputeMaximums({.physical_cores = 12, .memory_bytes = 64ULL << 30}, 321);
  EXPECT_EQ(max.vcpus_per_vm, 12u);
  EXPECT_EQ(max.disk_bytes, 9'000'000'000'000'000'000ULL);
  EXPECT_EQ(max.networks_per_host, 321u);
}

TEST(ConfigurationMaximumsTest, AllListsEveryLimitWithItsValueAndSource) {
  const auto max = ComputeMaximums({.physical_cores = 12, .memory_bytes = 64ULL << 30}, 321);
  const std::map<std::string, uint64_t> expected = {
      {"vcpus_per_vm", max.vcpus_per_vm}, {"memory_bytes_per_vm", max.memory_bytes_per_vm},
      {"disk_bytes", max.disk_bytes},     {"nics_per_vm", max.nics_per_vm},
      {"disks_per_vm", max.disks_per_vm}, {"networks_per_host", max.networks_per_host},
  };
  std::map<std::string, uint64_t> listed;
  for (const Limit& limit : max.all) {
    EXPECT_FALSE(limit.source.empty()) << limit.name;
    EXPECT_TRUE(listed.emplace(limit.name, limit.value).second) << "listed twice: " << limit.name;
  }
  EXPECT_EQ(listed, expected);
}

}  // namespace
}  // namespace hvagent::host
