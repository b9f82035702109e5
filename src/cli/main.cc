// hvctl: the operator's CLI for hvagentd, in acli's OBJECT.VERB grammar.
// The commands are in the table (src/cli/*_commands.cc); this file only reads
// the global options and picks one command, a piped script or the shell.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "hvagent/cli/commands.h"
#include "hvagent/cli/runner.h"
#include "hvagent/common/version.h"

int main(int argc, char** argv) {
  using hvagent::cli::ClientOptions;
  ClientOptions options;
  options.endpoint = hvagent::cli::DefaultEndpoint();
  std::string output = "text";

  CLI::App app{"hvctl: drive hvagentd with acli-style OBJECT.VERB commands (hvctl help)"};
  app.add_option("--endpoint", options.endpoint,
                 "unix:/path or HOST:PORT (mutual TLS); default $HVCTL_ENDPOINT or the agent's "
                 "local socket")
      ->capture_default_str();
  app.add_option("-o,--output", output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--tls-ca", options.tls_ca, "CA certificate (PEM) the agent's is checked against");
  app.add_option("--tls-cert", options.tls_cert, "client certificate (PEM)");
  app.add_option("--tls-key", options.tls_key, "client private key (PEM)");
  app.add_option("--timeout", options.timeout_seconds, "seconds each call may take")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.set_version_flag("--version", std::string(hvagent::kAgentVersion));
  app.add_option("--request-id", options.request_id,
                 "request id for the mutating call (to retry a call safely); default: fresh");
  app.footer(
      "Commands: hvctl [OPTIONS] OBJECT.VERB [NAME…] [key=value …]; hvctl help lists them,\n"
      "hvctl help OBJECT.VERB explains one. With no command: a shell on a terminal, else one\n"
      "command per line from stdin. Exit codes: 0 ok, 1 the agent refused, 2 bad command line,\n"
      "3 health not serving, 130 interrupted.");
  // Everything from the first word that is not an option is the command.
  app.prefix_command();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "hvctl: " << e.what() << " (hvctl --help)\n";
    return hvagent::cli::kExitUsage;
  }

  const hvagent::cli::CommandTable table = hvagent::cli::BuildCommandTable();
  hvagent::cli::Runner runner(table, options, output == "json", std::cout, std::cerr);
  const std::vector<std::string> words = app.remaining();
  if (!words.empty()) return runner.Run(words);
  if (isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0)
    return hvagent::cli::RunShell(runner);
  return runner.RunScript(std::cin);
}
