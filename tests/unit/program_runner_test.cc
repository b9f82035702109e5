#include "hvagent/common/program_runner.h"

#include <gtest/gtest.h>

namespace hvagent {
namespace {

using std::chrono::milliseconds;

TEST(RunProgramTest, CapturesOutputAndExitCodeFromAnArgv) {
  // The argument reaches the program as one word: no shell splits or expands it.
  auto result = RunProgram({"/bin/echo", "a b; $(rm -rf /)"}, milliseconds(10'000));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->output, "a b; $(rm -rf /)\n");

  result = RunProgram({"/bin/sh", "-c", "echo oops >&2; exit 3"}, milliseconds(10'000));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->output, "oops\n");
}

TEST(RunProgramTest, KillsAProgramThatOutlivesItsDeadline) {
  const auto start = std::chrono::steady_clock::now();
  auto result = RunProgram({"/bin/sleep", "30"}, milliseconds(200));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST(RunProgramTest, RefusesWhatItCannotStart) {
  EXPECT_EQ(RunProgram({}, milliseconds(100)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunProgram({"sleep", "1"}, milliseconds(100)).status().code(),
            absl::StatusCode::kInvalidArgument);  // not an absolute path
  EXPECT_EQ(RunProgram({"/nonexistent/program"}, milliseconds(1000)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(RunProgramTest, BoundsWhatItKeepsOfTheOutput) {
  auto result = RunProgram({"/usr/bin/head", "-c", "200000", "/dev/zero"}, milliseconds(10'000));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);  // read to the end, so the writer never blocks
  EXPECT_EQ(result->output.size(), 64u * 1024);
}

}  // namespace
}  // namespace hvagent
