// Parses `OBJECT.VERB [POSITIONAL…] [key=value …]` against a CommandTable.
// Pure and strict: unknown objects, verbs and keys, malformed values, missing
// or duplicated arguments are INVALID_ARGUMENT with a one-line message.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "hvagent/cli/command_spec.h"
#include "hvagent/common/status.h"

namespace hvagent::cli {

// A key's parsed value; which alternative depends on the key's ValueType
// (kInt → int64_t, kSize → uint64_t, kEnum → int, kIntList → vector<int64_t>,
// kEnumList → vector<int>, kStringList → vector<string>, kMac/kString → string).
using Value = std::variant<int64_t, uint64_t, bool, int, std::string, std::vector<int64_t>,
                           std::vector<int>, std::vector<std::string>>;

class ParsedCommand {
 public:
  const CommandSpec* spec = nullptr;
  std::vector<std::string> positionals;
  std::map<std::string, Value> values;

  bool Has(const std::string& key) const { return values.contains(key); }
  // Typed reads; `fallback` when the key was not given. The key must be of the
  // matching type (a programming error otherwise: std::bad_variant_access).
  int64_t Int(const std::string& key, int64_t fallback = 0) const;
  uint64_t Size(const std::string& key, uint64_t fallback = 0) const;
  bool Bool(const std::string& key, bool fallback = false) const;
  int Enum(const std::string& key, int fallback = 0) const;
  std::string String(const std::string& key, const std::string& fallback = "") const;
  std::vector<int64_t> IntList(const std::string& key) const;
  std::vector<int> EnumList(const std::string& key) const;
  std::vector<std::string> StringList(const std::string& key) const;
};

// args[0] is the command name. The error message starts with the command name
// when that much was understood.
StatusOr<ParsedCommand> ParseCommandLine(const CommandTable& table,
                                         const std::vector<std::string>& args);

// Splits one line of the shell or of a piped script into words: blanks
// separate, single and double quotes group, backslash escapes; `#` at the start
// of a word begins a comment. An unterminated quote is INVALID_ARGUMENT.
StatusOr<std::vector<std::string>> SplitLine(const std::string& line);

// The closest of `candidates` to `word` when it is close enough to be a typo
// (edit distance ≤ 2, less than half the word), else "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hvagent::cli
