#include "hvagent/common/status.h"

#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include "hvagent/api/grpc_status.h"
#include "hvagent/common/logging.h"

namespace hvagent {
namespace {

StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

StatusOr<int> Quarter(int n) {
  HVAGENT_ASSIGN_OR_RETURN(int half, Half(n));
  HVAGENT_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int n) {
  HVAGENT_RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusTest, MacrosPropagateErrorsAndValues) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(StatusTest, AnnotateKeepsCodeAndPrefixesContext) {
  const Status s = Annotate(absl::NotFoundError("no domain 'x'"), "start VM");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "start VM: no domain 'x'");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

TEST(StatusTest, EveryCodeMapsToTheSameGrpcCode) {
  for (int code = 0; code <= 16; ++code) {
    const Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "msg");
    const grpc::Status g = api::ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    if (code != 0) {
      EXPECT_EQ(g.error_message(), "msg");
    }
  }
}

TEST(LoggingTest, ParsesLevelsAndRejectsUnknown) {
  EXPECT_TRUE(ParseLogLevel("debug").ok());
  EXPECT_TRUE(ParseLogLevel("off").ok());
  EXPECT_EQ(ParseLogLevel("verbose").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hvagent
