// hvctl's line parser on any bytes: a line of the shell or of a piped
// script is split into words, then parsed against the whole command table.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hvagent/cli/command_line.h"
#include "hvagent/cli/commands.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hvagent::cli::CommandTable table = hvagent::cli::BuildCommandTable();
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto words = hvagent::cli::SplitLine(line);
  if (words.ok() && !words->empty()) (void)hvagent::cli::ParseCommandLine(table, *words);
  return 0;
}
