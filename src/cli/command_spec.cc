#include "hvagent/cli/command_spec.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "fmt/format.h"

namespace hvagent::cli {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kInt: return "int";
    case ValueType::kSize: return "size";
    case ValueType::kBool: return "bool";
    case ValueType::kEnum: return "enum";
    case ValueType::kIntList: return "int list";
    case ValueType::kStringList: return "list";
    case ValueType::kEnumList: return "enum list";
    case ValueType::kMac: return "MAC";
    case ValueType::kString: return "string";
  }
  return "?";
}

namespace {

KeySpec Make(std::string name, ValueType type, std::string help) {
  KeySpec key;
  key.name = std::move(name);
  key.type = type;
  key.help = std::move(help);
  return key;
}

// Int and IntList: a key whose numbers must lie in min..max.
KeySpec Ranged(std::string name, ValueType type, std::string help, int64_t min, int64_t max) {
  KeySpec key = Make(std::move(name), type, std::move(help));
  key.min = min;
  key.max = max;
  return key;
}

// Enum and EnumList: a key whose words must be among `choices`.
KeySpec Chosen(std::string name, ValueType type, std::string help,
               std::vector<EnumChoice> choices) {
  KeySpec key = Make(std::move(name), type, std::move(help));
  key.choices = std::move(choices);
  return key;
}

}  // namespace

KeySpec KeySpec::Int(std::string name, std::string help, int64_t min, int64_t max) {
  return Ranged(std::move(name), ValueType::kInt, std::move(help), min, max);
}
KeySpec KeySpec::Size(std::string name, std::string help) {
  return Make(std::move(name), ValueType::kSize, std::move(help));
}
KeySpec KeySpec::Bool(std::string name, std::string help) {
  return Make(std::move(name), ValueType::kBool, std::move(help));
}
KeySpec KeySpec::Enum(std::string name, std::string help, std::vector<EnumChoice> choices) {
  return Chosen(std::move(name), ValueType::kEnum, std::move(help), std::move(choices));
}
KeySpec KeySpec::EnumList(std::string name, std::string help, std::vector<EnumChoice> choices) {
  return Chosen(std::move(name), ValueType::kEnumList, std::move(help), std::move(choices));
}
KeySpec KeySpec::IntList(std::string name, std::string help, int64_t min, int64_t max) {
  return Ranged(std::move(name), ValueType::kIntList, std::move(help), min, max);
}
KeySpec KeySpec::StringList(std::string name, std::string help) {
  return Make(std::move(name), ValueType::kStringList, std::move(help));
}
KeySpec KeySpec::Mac(std::string name, std::string help) {
  return Make(std::move(name), ValueType::kMac, std::move(help));
}
KeySpec KeySpec::String(std::string name, std::string help) {
  return Make(std::move(name), ValueType::kString, std::move(help));
}
KeySpec KeySpec::Required() && {
  required = true;
  return std::move(*this);
}

const KeySpec* CommandSpec::FindKey(const std::string& key) const {
  for (const KeySpec& spec : keys) {
    if (spec.name == key) return &spec;
  }
  return nullptr;
}

std::string CommandSpec::Usage() const {
  std::string usage = name;
  for (const PositionalSpec& p : positionals) usage += " " + p.name;
  for (const bool required : {true, false}) {
    for (const KeySpec& key : keys) {
      if (key.required != required) continue;
      std::string placeholder;
      if (key.type == ValueType::kEnum && key.choices.size() <= 4) {
        for (const EnumChoice& c : key.choices) {
          placeholder += (placeholder.empty() ? "" : "|") + c.spelling;
        }
      } else {
        placeholder = ValueTypeName(key.type);
        std::transform(placeholder.begin(), placeholder.end(), placeholder.begin(),
                       [](char c) { return c == ' ' ? '_' : static_cast<char>(std::toupper(c)); });
      }
      usage += fmt::format(fmt::runtime(required ? " {}={}" : " [{}={}]"), key.name, placeholder);
    }
  }
  return usage;
}

void CommandTable::Add(CommandSpec spec) {
  // Two commands of one name would make the second unreachable: a table bug.
  if (Find(spec.name) != nullptr) {
    throw std::logic_error("hvctl: command " + spec.name + " defined twice");
  }
  commands_.push_back(std::move(spec));
}

const CommandSpec* CommandTable::Find(const std::string& name) const {
  for (const CommandSpec& spec : commands_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool CommandTable::HasObject(const std::string& object) const {
  return std::any_of(commands_.begin(), commands_.end(),
                     [&](const CommandSpec& spec) { return spec.name.starts_with(object + "."); });
}

}  // namespace hvagent::cli
