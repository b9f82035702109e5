#include "hvagent/cli/command_line.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "hvagent/cli/value_parsers.h"

namespace hvagent::cli {
namespace {

Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : separator) + word;
  return out;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string match = ClosestMatch(word, candidates);
  return match.empty() ? "" : fmt::format(" (did you mean {}?)", match);
}

// Matches enum spellings case-insensitively: kTrunked, ktrunked and KTRUNKED
// are one value, while the error lists the canonical spellings.
StatusOr<int> ParseEnumWord(const KeySpec& key, const std::string& word, const std::string& whole) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  std::vector<std::string> spellings;
  for (const EnumChoice& choice : key.choices) {
    if (lower(choice.spelling) == lower(word)) return choice.value;
    spellings.push_back(choice.spelling);
  }
  return Invalid(
      fmt::format("{}: must be one of {} (is '{}')", key.name, Join(spellings, ", "), whole));
}

// The owning alternatives (strings, vectors) are returned bare, so the result constructs its
// Value in place (moving from a returned local, as C++20 does). `return Value(std::move(v))`
// leaves a moved-from temporary variant to destroy, and GCC 12 at -O2 reports
// -Wfree-nonheap-object in that destructor's vector branches, which never run for a variant
// holding a string: a false positive (GCC's meta-bug 99098 collects these).
StatusOr<Value> ParseValue(const KeySpec& key, const std::string& text) {
  switch (key.type) {
    case ValueType::kInt: {
      HVAGENT_ASSIGN_OR_RETURN(const int64_t v, ParseInt(key.name, text, key.min, key.max));
      return Value(v);
    }
    case ValueType::kSize: {
      HVAGENT_ASSIGN_OR_RETURN(const uint64_t v, ParseSize(key.name, text));
      return Value(v);
    }
    case ValueType::kBool: {
      HVAGENT_ASSIGN_OR_RETURN(const bool v, ParseBool(key.name, text));
      return Value(v);
    }
    case ValueType::kEnum: {
      HVAGENT_ASSIGN_OR_RETURN(const int v, ParseEnumWord(key, text, text));
      return Value(v);
    }
    case ValueType::kIntList: {
      HVAGENT_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                               ParseIntList(key.name, text, key.min, key.max));
      return v;
    }
    case ValueType::kStringList: {
      HVAGENT_ASSIGN_OR_RETURN(std::vector<std::string> v, ParseList(key.name, text));
      return v;
    }
    case ValueType::kEnumList: {
      HVAGENT_ASSIGN_OR_RETURN(const std::vector<std::string> words, ParseList(key.name, text));
      std::vector<int> values;
      for (const std::string& word : words) {
        HVAGENT_ASSIGN_OR_RETURN(const int v, ParseEnumWord(key, word, text));
        if (std::find(values.begin(), values.end(), v) != values.end()) {
          return Invalid(fmt::format("{}: lists '{}' twice (is '{}')", key.name, word, text));
        }
        values.push_back(v);
      }
      return values;
    }
    case ValueType::kMac: {
      HVAGENT_ASSIGN_OR_RETURN(std::string v, ParseMac(key.name, text));
      return v;
    }
    case ValueType::kString: return text;
  }
  return Invalid(fmt::format("{}: unknown value type", key.name));
}

// The value given for `key` (parsed as the key's type, T), or `fallback`.
template <typename T>
T ValueOr(const std::map<std::string, Value>& values, const std::string& key, T fallback) {
  const auto found = values.find(key);
  return found == values.end() ? std::move(fallback) : std::get<T>(found->second);
}

}  // namespace

int64_t ParsedCommand::Int(const std::string& key, int64_t fallback) const {
  return ValueOr<int64_t>(values, key, fallback);
}
uint64_t ParsedCommand::Size(const std::string& key, uint64_t fallback) const {
  return ValueOr<uint64_t>(values, key, fallback);
}
bool ParsedCommand::Bool(const std::string& key, bool fallback) const {
  return ValueOr<bool>(values, key, fallback);
}
int ParsedCommand::Enum(const std::string& key, int fallback) const {
  return ValueOr<int>(values, key, fallback);
}
std::string ParsedCommand::String(const std::string& key, const std::string& fallback) const {
  return ValueOr<std::string>(values, key, fallback);
}
std::vector<int64_t> ParsedCommand::IntList(const std::string& key) const {
  return ValueOr<std::vector<int64_t>>(values, key, {});
}
std::vector<int> ParsedCommand::EnumList(const std::string& key) const {
  return ValueOr<std::vector<int>>(values, key, {});
}
std::vector<std::string> ParsedCommand::StringList(const std::string& key) const {
  return ValueOr<std::vector<std::string>>(values, key, {});
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;  // at most 2 edits
  for (const std::string& candidate : candidates) {
    const size_t d = EditDistance(word, candidate);
    if (d < best_distance && 2 * d < std::max<size_t>(word.size(), 2)) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

StatusOr<ParsedCommand> ParseCommandLine(const CommandTable& table,
                                         const std::vector<std::string>& args) {
  if (args.empty()) return Invalid("no command given (try: hvctl help)");
  const std::string& name = args[0];
  ParsedCommand parsed;
  parsed.spec = table.Find(name);
  if (parsed.spec == nullptr) {
    std::vector<std::string> names;
    for (const CommandSpec& spec : table.commands()) names.push_back(spec.name);
    const size_t dot = name.find('.');
    if (dot != std::string::npos && table.HasObject(name.substr(0, dot))) {
      return Invalid(fmt::format("unknown command '{}'{}; hvctl help lists the commands", name,
                                 DidYouMean(name, names)));
    }
    if (dot != std::string::npos) {
      std::set<std::string> objects;
      for (const std::string& n : names) {
        if (n.find('.') != std::string::npos) objects.insert(n.substr(0, n.find('.')));
      }
      const std::vector<std::string> list(objects.begin(), objects.end());
      return Invalid(fmt::format("unknown object '{}' in '{}'{} (objects: {})", name.substr(0, dot),
                                 name, DidYouMean(name.substr(0, dot), list), Join(list, ", ")));
    }
    return Invalid(fmt::format("unknown command '{}'{} (commands are OBJECT.VERB; hvctl help)",
                               name, DidYouMean(name, names)));
  }
  const CommandSpec& spec = *parsed.spec;
  const std::string usage = "usage: " + spec.Usage();

  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      if (arg.starts_with("-")) {
        return Invalid(
            fmt::format("{}: options such as '{}' go before the command", spec.name, arg));
      }
      if (parsed.positionals.size() >= spec.positionals.size()) {
        return Invalid(fmt::format("{}: unexpected argument '{}' (keys are key=value; {})",
                                   spec.name, arg, usage));
      }
      parsed.positionals.push_back(arg);
      continue;
    }
    const std::string key = arg.substr(0, eq);
    const std::string text = arg.substr(eq + 1);
    if (key.empty()) {
      return Invalid(fmt::format("{}: '{}' has no key before '='", spec.name, arg));
    }
    const KeySpec* key_spec = spec.FindKey(key);
    if (key_spec == nullptr) {
      std::vector<std::string> keys;
      for (const KeySpec& k : spec.keys) keys.push_back(k.name);
      return Invalid(fmt::format("{}: unknown key '{}'{} ({})", spec.name, key,
                                 DidYouMean(key, keys),
                                 keys.empty() ? "it takes no keys" : "keys: " + Join(keys, ", ")));
    }
    if (parsed.values.contains(key)) {
      return Invalid(fmt::format("{}: key '{}' given twice", spec.name, key));
    }
    if (text.empty()) {
      return Invalid(fmt::format("{}: key '{}' has an empty value", spec.name, key));
    }
    StatusOr<Value> value = ParseValue(*key_spec, text);
    if (!value.ok()) return Invalid(fmt::format("{}: {}", spec.name, MessageOf(value.status())));
    parsed.values.emplace(key, *std::move(value));
  }

  if (parsed.positionals.size() < spec.positionals.size()) {
    return Invalid(fmt::format("{}: missing {} ({})", spec.name,
                               spec.positionals[parsed.positionals.size()].name, usage));
  }
  for (const KeySpec& key : spec.keys) {
    if (key.required && !parsed.values.contains(key.name)) {
      return Invalid(fmt::format("{}: missing required key {}=<{}> ({})", spec.name, key.name,
                                 ValueTypeName(key.type), usage));
    }
  }
  return parsed;
}

StatusOr<std::vector<std::string>> SplitLine(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= line.size()) return Invalid("a backslash ends the line");
      word += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return Invalid(fmt::format("unterminated {} quote", quote));
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace hvagent::cli
