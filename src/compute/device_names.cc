#include "hvagent/compute/device_names.h"

#include <cstdint>
#include <mutex>
#include <random>
#include <set>

#include "fmt/format.h"

namespace hvagent::compute {

namespace {

// 64-bit FNV-1a: tiny, stable across builds and platforms (std::hash is
// neither), and spreads short inputs well enough for 48 bits of it.
constexpr uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t Fnv1a(uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

// The letters after "sd" for disk index `index`: a, b, … z, aa, ab, … as
// libvirt's virDiskNameToIndex counts (bijective base 26).
std::string DiskSuffix(size_t index) {
  std::string suffix;
  for (size_t n = index + 1; n > 0; n = (n - 1) / 26) {
    suffix.insert(suffix.begin(), static_cast<char>('a' + (n - 1) % 26));
  }
  return suffix;
}

}  // namespace

std::string TapNameFor(std::string_view vm_uuid, std::string_view mac) {
  const uint64_t hash = Fnv1a(Fnv1a(kFnvOffsetBasis, vm_uuid), mac);
  return fmt::format("hvt{:012x}", hash >> 16);
}

bool IsAgentTapName(std::string_view name) {
  constexpr std::string_view kPrefix = "hvt";
  constexpr size_t kHexDigits = 12;
  return name.size() == kPrefix.size() + kHexDigits && name.starts_with(kPrefix) &&
         name.find_first_not_of("0123456789abcdef", kPrefix.size()) == std::string_view::npos;
}

std::string NextDiskTarget(const std::vector<DiskConfig>& disks) {
  std::set<std::string_view> taken;
  for (const DiskConfig& disk : disks) taken.insert(disk.target);
  // At most disks.size() names are taken, so one of the first size() + 1 is free.
  for (size_t index = 0;; ++index) {
    std::string target = "sd" + DiskSuffix(index);
    if (!taken.contains(target)) return target;
  }
}

std::string RandomMac() {
  static std::mutex mu;
  static std::mt19937 gen{std::random_device{}()};
  std::lock_guard lock(mu);
  return fmt::format("52:54:00:{:02x}:{:02x}:{:02x}", gen() & 0xff, gen() & 0xff, gen() & 0xff);
}

}  // namespace hvagent::compute
