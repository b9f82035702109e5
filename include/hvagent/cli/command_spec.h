// The declarative description of one hvctl command: its name (OBJECT.VERB),
// positional arguments, keys with their types, and the function that runs it.
// Adding a command is one CommandSpec in the table (src/cli/*_commands.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace hvagent::cli {

class Invocation;

enum class ValueType {
  kInt,         // a whole number in [min, max]
  kSize,        // bytes: 512M, 4G, 1T
  kBool,        // true/false
  kEnum,        // one of `choices`, e.g. kAccess/kTrunked
  kIntList,     // 10,20,30, each in [min, max]
  kStringList,  // eth0,eth1
  kEnumList,    // kVmLifecycle,kNetwork
  kMac,         // 52:54:00:12:34:56
  kString,
};

// The word used for the type in help texts ("int", "size", …).
const char* ValueTypeName(ValueType type);

// One spelling of an enumerated value and the proto enum number it stands for.
struct EnumChoice {
  std::string spelling;
  int value = 0;
};

struct KeySpec {
  std::string name;
  ValueType type = ValueType::kString;
  std::string help;
  bool required = false;
  int64_t min = 0;
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<EnumChoice> choices;

  // Fluent construction, so the command table reads like documentation.
  static KeySpec Int(std::string name, std::string help, int64_t min, int64_t max);
  static KeySpec Size(std::string name, std::string help);
  static KeySpec Bool(std::string name, std::string help);
  static KeySpec Enum(std::string name, std::string help, std::vector<EnumChoice> choices);
  static KeySpec EnumList(std::string name, std::string help, std::vector<EnumChoice> choices);
  static KeySpec IntList(std::string name, std::string help, int64_t min, int64_t max);
  static KeySpec StringList(std::string name, std::string help);
  static KeySpec Mac(std::string name, std::string help);
  static KeySpec String(std::string name, std::string help);
  KeySpec Required() &&;
};

struct PositionalSpec {
  std::string name;  // upper case in usage lines: NAME, MAC
  std::string help;
};

// Exit codes shared by every command (docs/hvctl.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;  // the agent answered with an error
inline constexpr int kExitUsage = 2;        // the command line is wrong; nothing was sent
inline constexpr int kExitNotServing = 3;   // health: the agent is not serving

struct CommandSpec {
  std::string name;  // "vm.nic_create", or a bare word such as "health"
  std::string summary;
  std::vector<PositionalSpec> positionals;  // all required, in order
  std::vector<KeySpec> keys;
  // Longer help: notes, examples.
  std::string details;
  std::function<int(Invocation&)> run;

  const KeySpec* FindKey(const std::string& key) const;
  // "vm.nic_delete NAME MAC [mac=MAC] …": required keys first.
  std::string Usage() const;
};

// Every command, in the order help lists them.
class CommandTable {
 public:
  void Add(CommandSpec spec);
  const CommandSpec* Find(const std::string& name) const;
  const std::vector<CommandSpec>& commands() const { return commands_; }
  // Whether any command's name begins with "object.".
  bool HasObject(const std::string& object) const;

 private:
  std::vector<CommandSpec> commands_;
};

}  // namespace hvagent::cli
