// Waiting in tests: one polling helper instead of hand-rolled sleep loops.
// Patience is generous (the machine is shared and may be loaded); a test that
// passes returns as soon as its condition holds.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string_view>

namespace hvagent::testing {

// Polls `done` every `interval` until it holds or `patience` passes. On
// time-out the result says what did not happen ("`what` did not hold within
// N s"), so ASSERT_TRUE(Eventually(...)) reads well in a failure.
::testing::AssertionResult Eventually(
    const std::function<bool()>& done, std::string_view what = "the condition",
    std::chrono::milliseconds patience = std::chrono::seconds(60),
    std::chrono::milliseconds interval = std::chrono::milliseconds(100));

}  // namespace hvagent::testing
