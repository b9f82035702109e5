#include "hvagent/cli/value_parsers.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace hvagent::cli {
namespace {

Status Invalid(std::string_view key, std::string_view text, std::string_view rule) {
  return absl::InvalidArgumentError(fmt::format("{}: {} (is '{}')", key, rule, text));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

StatusOr<int64_t> ParseInt(std::string_view key, std::string_view text, int64_t min, int64_t max) {
  const std::string rule = fmt::format("must be a whole number from {} to {}", min, max);
  // from_chars accepts a leading '-' but not '+' or blanks, which is the strictness wanted.
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Invalid(key, text, rule);
  }
  if (value < min || value > max) return Invalid(key, text, rule);
  return value;
}

StatusOr<uint64_t> ParseSize(std::string_view key, std::string_view text) {
  constexpr std::string_view kRule =
      "must be a size: a whole number of bytes, or with a suffix K, M, G, T, P, E (e.g. 512M, 4G)";
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
    ++digits;
  }
  if (digits == 0) return Invalid(key, text, kRule);
  uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc()) return Invalid(key, text, "is too large");
  const std::string suffix = Lower(text.substr(digits));
  // Binary multiples, as acli means them (memory=4G is 4 GiB).
  static constexpr std::string_view kUnits = "kmgtpe";
  unsigned shift = 0;
  if (!suffix.empty()) {
    const size_t unit = kUnits.find(suffix[0]);
    const std::string_view rest{suffix.data() + 1, suffix.size() - 1};
    if (unit == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib")) {
      return Invalid(key, text, kRule);
    }
    shift = 10 * static_cast<unsigned>(unit + 1);
  }
  if (shift > 0 && number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Invalid(key, text, "is too large");
  }
  return number << shift;
}

StatusOr<bool> ParseBool(std::string_view key, std::string_view text) {
  const std::string word = Lower(text);
  if (word == "true" || word == "yes" || word == "on" || word == "1") return true;
  if (word == "false" || word == "no" || word == "off" || word == "0") return false;
  return Invalid(key, text, "must be true or false");
}

StatusOr<std::string> ParseMac(std::string_view key, std::string_view text) {
  constexpr std::string_view kRule = "must be a MAC address like 52:54:00:12:34:56";
  if (text.size() != 17) return Invalid(key, text, kRule);
  for (size_t i = 0; i < text.size(); ++i) {
    const bool colon = i % 3 == 2;
    if (colon ? text[i] != ':' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) {
      return Invalid(key, text, kRule);
    }
  }
  return Lower(text);
}

StatusOr<std::vector<std::string>> ParseList(std::string_view key, std::string_view text) {
  std::vector<std::string> items;
  std::set<std::string> seen;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) {
      return Invalid(key, text, "must be a comma-separated list without empty elements");
    }
    if (!seen.emplace(item).second) {
      return Invalid(key, text, fmt::format("lists '{}' twice", item));
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

StatusOr<std::vector<int64_t>> ParseIntList(std::string_view key, std::string_view text,
                                            int64_t min, int64_t max) {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<std::string> items, ParseList(key, text));
  std::vector<int64_t> values;
  std::set<int64_t> seen;
  for (const std::string& item : items) {
    StatusOr<int64_t> value = ParseInt(key, item, min, max);
    if (!value.ok()) {
      return Invalid(key, text,
                     fmt::format("every element must be a whole number from {} to {}", min, max));
    }
    // "10,010" names one VLAN twice even though the words differ.
    if (!seen.insert(*value).second) {
      return Invalid(key, text, fmt::format("lists {} twice", *value));
    }
    values.push_back(*value);
  }
  return values;
}

}  // namespace hvagent::cli
