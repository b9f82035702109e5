// Parsers for the values of acli-style `key=value` arguments. Pure: each
// returns the value or INVALID_ARGUMENT whose message names the key and the rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::cli {

// A whole decimal number in [min, max].
StatusOr<int64_t> ParseInt(std::string_view key, std::string_view text, int64_t min, int64_t max);

// A size in bytes: a whole number with an optional binary suffix K, M, G, T, P
// or E (case-insensitive, optionally followed by "B" or "iB"): 512M, 4G, 1TiB.
StatusOr<uint64_t> ParseSize(std::string_view key, std::string_view text);

// true/false, yes/no, on/off, 1/0 (case-insensitive).
StatusOr<bool> ParseBool(std::string_view key, std::string_view text);

// A unicast-or-not MAC in colon form, six two-digit hex groups; returned in
// lower case, the form the agent reports.
StatusOr<std::string> ParseMac(std::string_view key, std::string_view text);

// A comma-separated list, e.g. "10,20,30": no empty elements, no duplicates.
StatusOr<std::vector<std::string>> ParseList(std::string_view key, std::string_view text);

// A comma-separated list of whole numbers, each in [min, max].
StatusOr<std::vector<int64_t>> ParseIntList(std::string_view key, std::string_view text,
                                            int64_t min, int64_t max);

}  // namespace hvagent::cli
