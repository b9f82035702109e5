// Runs a program (never a shell) and captures its output: for tests only.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace hvagent::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the timeout
  bool timed_out = false;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
};

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Like RunProcess, but fails the current test with the output if the exit
// code is not 0.
ProcessResult RunOrFail(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A process running in the background, killed (SIGKILL) when destroyed unless
// it was waited for.
class BackgroundProcess {
 public:
  // stdout and stderr go to `log_path`.
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return pid_; }
  bool Running();
  void Signal(int sig);
  // Signals its whole process group, as Ctrl-C in a terminal does.
  void SignalGroup(int sig);
  // Waits for exit; returns the exit code, or -1 on a signal or the timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

}  // namespace hvagent::testing
