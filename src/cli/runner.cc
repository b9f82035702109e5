#include "hvagent/cli/runner.h"

#include <map>
#include <sstream>

#include "hvagent/cli/command_line.h"
#include "hvagent/cli/commands.h"

namespace hvagent::cli {
namespace {

std::string KeyDescription(const KeySpec& key) {
  std::string type = ValueTypeName(key.type);
  if (key.type == ValueType::kInt || key.type == ValueType::kIntList) {
    if (key.max != std::numeric_limits<int64_t>::max()) {
      type += fmt::format(" {}–{}", key.min, key.max);
    } else if (key.min != 0) {
      type += fmt::format(" ≥ {}", key.min);
    }
  }
  if (!key.choices.empty()) {
    std::string choices;
    for (const EnumChoice& c : key.choices) choices += (choices.empty() ? "" : "|") + c.spelling;
    type += ": " + choices;
  }
  return type;
}

}  // namespace

CommandTable BuildCommandTable() {
  CommandTable table;
  AddHostCommands(table);
  AddNetCommands(table);
  AddVmCommands(table);
  AddSwitchCommands(table);
  AddChainCommands(table);
  AddEventCommands(table);
  AddControllerVmCommands(table);
  return table;
}

std::string CommandList(const CommandTable& table) {
  size_t width = 0;
  for (const CommandSpec& spec : table.commands()) width = std::max(width, spec.name.size());
  std::string out =
      "usage: hvctl [--endpoint E] [-o text|json] OBJECT.VERB [NAME…] [key=value …]\n"
      "       hvctl help OBJECT.VERB     details of one command\n"
      "       hvctl                      interactive shell (or commands from a pipe)\n";
  std::string object;
  for (const CommandSpec& spec : table.commands()) {
    const std::string this_object = spec.name.substr(0, spec.name.find('.'));
    if (this_object != object) out += "\n";
    object = this_object;
    out += fmt::format("  {:<{}}  {}\n", spec.name, width, spec.summary);
  }
  return out;
}

std::string CommandHelp(const CommandSpec& spec) {
  std::string out = fmt::format("usage: {}\n\n{}\n", spec.Usage(), spec.summary);
  if (!spec.details.empty()) out += "\n" + spec.details + "\n";
  if (!spec.positionals.empty()) {
    out += "\narguments:\n";
    for (const PositionalSpec& p : spec.positionals) {
      out += fmt::format("  {:<26} {}\n", p.name, p.help);
    }
  }
  if (!spec.keys.empty()) {
    out += "\nkeys:\n";
    for (const KeySpec& key : spec.keys) {
      out += fmt::format("  {:<26} {}{} ({})\n", key.name, key.required ? "required; " : "",
                         key.help, KeyDescription(key));
    }
  }
  return out;
}

std::string Reference(const CommandTable& table) {
  std::string out;
  std::string object;
  for (const CommandSpec& spec : table.commands()) {
    const std::string this_object = spec.name.substr(0, spec.name.find('.'));
    if (this_object != object) out += fmt::format("\n### {}\n", this_object);
    object = this_object;
    out += fmt::format("\n#### `{}`\n\n```\n{}```\n", spec.name, CommandHelp(spec));
  }
  return out;
}

StatusOr<std::shared_ptr<grpc::Channel>> Runner::Channel() {
  if (channel_ == nullptr) {
    HVAGENT_ASSIGN_OR_RETURN(channel_, MakeChannel(options_));
  }
  return channel_;
}

int Runner::Run(const std::vector<std::string>& words) {
  if (words.empty()) return kExitOk;
  if (words[0] == "help" || words[0] == "--help" || words[0] == "-h") {
    if (words.size() == 1) {
      out_ << CommandList(table_);
      return kExitOk;
    }
    if (words.size() == 2 && words[1] == "--all") {
      out_ << Reference(table_);
      return kExitOk;
    }
    const CommandSpec* spec = words.size() == 2 ? table_.Find(words[1]) : nullptr;
    if (spec == nullptr) {
      // Let the parser name the problem (unknown object or verb, with a suggestion).
      const StatusOr<ParsedCommand> parsed =
          ParseCommandLine(table_, {words.size() >= 2 ? words[1] : ""});
      err_ << "hvctl: help: "
           << (words.size() == 2 ? MessageOf(parsed.status()) : "usage: help [OBJECT.VERB|--all]")
           << "\n";
      return kExitUsage;
    }
    out_ << CommandHelp(*spec);
    return kExitOk;
  }
  StatusOr<ParsedCommand> parsed = ParseCommandLine(table_, words);
  if (!parsed.ok()) {
    err_ << "hvctl: " << MessageOf(parsed.status()) << "\n";
    return kExitUsage;
  }
  // Channels connect lazily, so making one here costs nothing, and a bad
  // endpoint or TLS file is a usage error before any command runs.
  if (StatusOr<std::shared_ptr<grpc::Channel>> channel = Channel(); !channel.ok()) {
    err_ << "hvctl: " << MessageOf(channel.status()) << "\n";
    return kExitUsage;
  }
  Output output(out_, err_, json_);
  Invocation invocation(
      *parsed, options_, [this] { return Channel(); }, output);
  const int code = parsed->spec->run(invocation);
  out_.flush();
  return code;
}

int Runner::RunLine(const std::string& line) {
  StatusOr<std::vector<std::string>> words = SplitLine(line);
  if (!words.ok()) {
    err_ << "hvctl: " << MessageOf(words.status()) << "\n";
    return kExitUsage;
  }
  return Run(*words);
}

int Runner::RunScript(std::istream& in) {
  int first_failure = kExitOk;
  std::string line;
  while (std::getline(in, line)) {
    const int code = RunLine(line);
    if (code != kExitOk && first_failure == kExitOk) first_failure = code;
  }
  return first_failure;
}

}  // namespace hvagent::cli
