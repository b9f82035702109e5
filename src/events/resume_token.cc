#include "hvagent/events/resume_token.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <random>
#include <system_error>

namespace hvagent::events {

namespace {

constexpr std::string_view kForm =
    "resume_token must have the form <epoch>.<sequence> as sent by EventService.Watch";

Status Malformed(std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", kForm, rule));
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string NewEpoch() {
  // Two 32-bit draws: random_device yields unsigned int, and 64 bits make a
  // collision between two runs of one host practically impossible.
  std::random_device device;
  const uint64_t high = device();
  const uint64_t low = device();
  return fmt::format("{:016x}", (high << 32U) | (low & 0xffffffffU));
}

std::string MakeResumeToken(std::string_view epoch, uint64_t sequence) {
  return fmt::format("{}.{}", epoch, sequence);
}

StatusOr<uint64_t> ParseResumeToken(std::string_view token, std::string_view current_epoch) {
  if (token.empty()) {
    return Malformed("it is empty (an empty token means \"from now\" and is resolved by the ring)");
  }
  if (token.size() > kMaxResumeTokenLength) {
    return Malformed(fmt::format("it must be at most {} characters", kMaxResumeTokenLength));
  }
  // The last dot: the sequence never contains one, so this is unambiguous.
  const size_t dot = token.rfind('.');
  if (dot == std::string_view::npos) {
    return Malformed("the '.' between epoch and sequence is missing");
  }
  const std::string_view epoch = token.substr(0, dot);
  const std::string_view digits = token.substr(dot + 1);
  if (epoch.empty()) {
    return Malformed("the epoch is empty");
  }
  if (!std::all_of(epoch.begin(), epoch.end(), IsAlnum)) {
    return Malformed("the epoch must consist of letters and digits only");
  }
  if (digits.empty()) {
    return Malformed("the sequence is empty");
  }
  // from_chars alone would accept a numeric prefix ("12x"); require digits only.
  if (!std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Malformed("the sequence must be a decimal number");
  }
  uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (error == std::errc::result_out_of_range) {
    return Malformed(
        fmt::format("the sequence must be at most {}", std::numeric_limits<uint64_t>::max()));
  }
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return Malformed("the sequence must be a decimal number");
  }
  if (epoch != current_epoch) {
    return absl::FailedPreconditionError(
        "resume_token is from an earlier agent run; resync required");
  }
  return sequence;
}

}  // namespace hvagent::events
