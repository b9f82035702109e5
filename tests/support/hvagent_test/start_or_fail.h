// Starting a test's daemons: T::Start(&error), and when that fails a test
// failure that gives the reason. The caller then asserts the result is not
// null (a fatal failure must be raised in the test's own frame).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace hvagent::testing {

template <typename T>
std::unique_ptr<T> StartOrFail() {
  std::string error;
  std::unique_ptr<T> started = T::Start(&error);
  if (started == nullptr) ADD_FAILURE() << error;
  return started;
}

}  // namespace hvagent::testing
