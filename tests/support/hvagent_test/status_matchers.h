// gMock matchers for the project's Status and StatusOr: a refusal checked for
// its code and its message in one assertion, which prints the status whole
// when it fails.
#pragma once

#include <gmock/gmock.h>

#include <string>

#include "hvagent/common/status.h"

namespace hvagent::testing {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& result) {
  return result.status();
}

// A Status (or a StatusOr's) whose code matches `code` and message matches
// `message` (each a value or a matcher), e.g.
// EXPECT_THAT(vms.Create(spec), StatusIs(kInvalidArgument, HasSubstr("spec.name")));
MATCHER_P2(StatusIs, code, message, "") {
  const Status& status = StatusOf(arg);
  *result_listener << "whose status is " << status;
  return ::testing::Matches(code)(status.code()) &&
         ::testing::ExplainMatchResult(message, std::string(status.message()), result_listener);
}

}  // namespace hvagent::testing
