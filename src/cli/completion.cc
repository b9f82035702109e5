#include "hvagent/cli/completion.h"

#include <algorithm>

namespace hvagent::cli {

std::vector<std::string> CompletionCandidates(const CommandTable& table,
                                              const std::vector<std::string>& before,
                                              const std::string& word) {
  std::vector<std::string> out;
  auto add_if_prefix = [&](const std::string& candidate) {
    if (candidate.starts_with(word)) out.push_back(candidate);
  };
  if (before.empty() || (before.size() == 1 && before[0] == "help")) {
    for (const CommandSpec& spec : table.commands()) add_if_prefix(spec.name);
    if (before.empty()) {
      for (const char* builtin : {"help", "exit", "quit"}) add_if_prefix(builtin);
    }
    return out;
  }
  const CommandSpec* spec = table.Find(before[0]);
  if (spec == nullptr) return out;
  const size_t eq = word.find('=');
  if (eq != std::string::npos) {
    const KeySpec* key = spec->FindKey(word.substr(0, eq));
    if (key == nullptr) return out;
    const std::string head = word.substr(0, eq + 1);
    if (key->type == ValueType::kBool) {
      for (const char* v : {"true", "false"}) add_if_prefix(head + v);
    }
    // Enum lists complete their first element; later ones are typed.
    for (const EnumChoice& c : key->choices) add_if_prefix(head + c.spelling);
    return out;
  }
  for (const KeySpec& key : spec->keys) {
    const bool given = std::any_of(before.begin(), before.end(), [&](const std::string& w) {
      return w.starts_with(key.name + "=");
    });
    if (!given) add_if_prefix(key.name + "=");
  }
  return out;
}

}  // namespace hvagent::cli
