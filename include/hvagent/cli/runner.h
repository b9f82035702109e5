// Runs hvctl command lines: one from argv, a script from a pipe, or the
// interactive shell's. Keeps one channel to the agent for all of them.
#pragma once

#include <grpcpp/grpcpp.h>

#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "hvagent/cli/command_spec.h"
#include "hvagent/cli/invocation.h"

namespace hvagent::cli {

class Runner {
 public:
  Runner(const CommandTable& table, ClientOptions options, bool json, std::ostream& out,
         std::ostream& err)
      : table_(table), options_(std::move(options)), json_(json), out_(out), err_(err) {}

  // words[0] is OBJECT.VERB or "help". Returns the exit code (kExit*).
  int Run(const std::vector<std::string>& words);
  // One command per line; blank lines and `#` comments are skipped. Every
  // line runs; the exit code is that of the first line that failed.
  int RunScript(std::istream& in);
  // A shell or script line: split into words, then Run. Empty lines return 0.
  int RunLine(const std::string& line);

  const CommandTable& table() const { return table_; }
  // Uses `channel` instead of dialling options.endpoint (in-process servers).
  void UseChannel(std::shared_ptr<grpc::Channel> channel) { channel_ = std::move(channel); }

 private:
  StatusOr<std::shared_ptr<grpc::Channel>> Channel();

  const CommandTable& table_;
  ClientOptions options_;
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
};

// `hvctl help`: every command with its summary, grouped by object.
std::string CommandList(const CommandTable& table);
// `hvctl help OBJECT.VERB`: usage, arguments and keys with types and choices.
std::string CommandHelp(const CommandSpec& spec);
// `hvctl help --all`: the whole reference in Markdown (docs/hvctl.md).
std::string Reference(const CommandTable& table);

// The interactive shell (libedit): history in ~/.hvctl_history, Tab completes
// OBJECT.VERB, key names and enum values. Returns the last command's exit code.
int RunShell(Runner& runner);

}  // namespace hvagent::cli
