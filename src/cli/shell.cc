// The interactive shell: libedit's readline interface for line editing,
// history and Tab completion of OBJECT.VERB, key names and enum values.
#include <editline/readline.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "hvagent/cli/command_line.h"
#include "hvagent/cli/completion.h"
#include "hvagent/cli/runner.h"

namespace hvagent::cli {
namespace {

// readline's completion callbacks are plain C functions without a user
// pointer: the table and the candidates of the current completion live here.
const CommandTable* g_table = nullptr;
std::vector<std::string> g_candidates;

char* Generate(const char* /*text*/, int state) {
  static size_t next = 0;
  if (state == 0) next = 0;
  if (next >= g_candidates.size()) return nullptr;
  // readline frees what it is given: it must come from malloc.
  return strdup(g_candidates[next++].c_str());  // NOLINT(cppcoreguidelines-no-malloc)
}

char** Complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  const std::string before_text(rl_line_buffer, static_cast<size_t>(start));
  StatusOr<std::vector<std::string>> before = SplitLine(before_text);
  if (!before.ok()) return nullptr;
  g_candidates = CompletionCandidates(*g_table, *before, text);
  // "key=" is half a word: no space after it.
  rl_completion_append_character = g_candidates.size() == 1 && g_candidates[0].ends_with("=")
                                       ? 0
                                       : static_cast<unsigned char>(' ');
  return rl_completion_matches(text, Generate);
}

std::string HistoryPath() {
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): before any thread
  return home != nullptr && *home != '\0' ? std::string(home) + "/.hvctl_history" : "";
}

}  // namespace

int RunShell(Runner& runner) {
  g_table = &runner.table();
  rl_attempted_completion_function = Complete;
  // Words break at blanks only: '.', '=' and ',' are part of hvctl's words.
  static char kBreaks[] = " \t";
  rl_completer_word_break_characters = kBreaks;
  rl_basic_word_break_characters = kBreaks;  // libedit reads this one
  const std::string history = HistoryPath();
  using_history();
  stifle_history(1000);
  if (!history.empty()) read_history(history.c_str());
  // Ctrl-C cancels a running call (InterruptWatcher); at the prompt it is ignored.
  (void)signal(SIGINT, SIG_IGN);

  std::cout << "hvctl shell: OBJECT.VERB [NAME…] [key=value …]; Tab completes; help; exit\n";
  int last = kExitOk;
  while (true) {
    std::unique_ptr<char, decltype(&free)> line(readline("hvctl> "), &free);
    if (line == nullptr) {  // Ctrl-D
      std::cout << "\n";
      break;
    }
    const std::string text = line.get();
    StatusOr<std::vector<std::string>> words = SplitLine(text);
    if (words.ok() && words->empty()) continue;
    add_history(line.get());
    if (words.ok() && (words->at(0) == "exit" || words->at(0) == "quit")) break;
    last = runner.RunLine(text);
  }
  if (!history.empty()) write_history(history.c_str());
  g_table = nullptr;
  return last;
}

}  // namespace hvagent::cli
