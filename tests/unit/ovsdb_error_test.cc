// The RFC 7047 error tag on a failed transaction's Status: how it is set,
// read back, and set by the batch reply splitter for every member that fails.
#include <gtest/gtest.h>

#include "hvagent/ovsdb/batch.h"
#include "hvagent/ovsdb/error.h"

namespace hvagent::ovsdb {
namespace {

using nlohmann::json;

TEST(OvsdbErrorTest, TransactionErrorIsATaggedPreconditionWithTheServersText) {
  const Status s = TransactionError("timed out", "\"wait\" timed out");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MessageOf(s), "ovsdb transaction failed: timed out: \"wait\" timed out");
  EXPECT_EQ(ErrorTag(s), std::optional<std::string>("timed out"));
  EXPECT_TRUE(HasErrorTag(s, error_tag::kTimedOut));
  EXPECT_FALSE(HasErrorTag(s, error_tag::kConstraintViolation));
}

TEST(OvsdbErrorTest, AStatusWithoutTheTagHasNone) {
  // The words alone are not the tag: a send timeout is not a failed wait.
  const Status send = absl::UnavailableError("ovsdb send: timed out");
  EXPECT_EQ(ErrorTag(send), std::nullopt);
  EXPECT_FALSE(HasErrorTag(send, error_tag::kTimedOut));
  const Status text = absl::FailedPreconditionError("ovsdb transaction failed: timed out: ");
  EXPECT_FALSE(HasErrorTag(text, error_tag::kTimedOut));
  EXPECT_EQ(ErrorTag(absl::OkStatus()), std::nullopt);
}

TEST(OvsdbErrorTest, TagsAreKeptVerbatimAndSurviveCopies) {
  const Status s = WithErrorTag(absl::AbortedError("x"), "some future error");
  const Status copy = s;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(MessageOf(copy), "x");
  EXPECT_EQ(ErrorTag(copy), std::optional<std::string>("some future error"));
  // An OK status carries no payload.
  EXPECT_EQ(ErrorTag(WithErrorTag(absl::OkStatus(), "timed out")), std::nullopt);
}

TEST(OvsdbErrorTest, SplitTagsTheFailedOperationsError) {
  const Batch batch = Batch::Merge({json::array({{{"op", "wait"}}, {{"op", "insert"}}})}, false);
  auto reply = BatchReply::Split(
      batch, json::parse(R"([{"error": "timed out", "details": "\"wait\" timed out after 0 ms"},
                              null])"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_FALSE(reply->committed);
  EXPECT_EQ(reply->guilty, std::optional<size_t>(0));
  EXPECT_EQ(reply->error.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(MessageOf(reply->error),
            "ovsdb transaction failed: timed out: \"wait\" timed out after 0 ms");
  EXPECT_TRUE(HasErrorTag(reply->error, error_tag::kTimedOut));
}

TEST(OvsdbErrorTest, SplitKeepsTheTagWhenItRestoresTheMembersOwnNames) {
  const json ops = json::array({{{"op", "insert"}, {"uuid-name", "port"}}});
  const Batch batch = Batch::Merge({ops, ops}, false);
  auto reply = BatchReply::Split(batch, json::parse(R"([{"uuid": ["uuid", "u0"]},
      {"error": "referential integrity violation", "details": "m1_port is referenced"}])"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->guilty, std::optional<size_t>(1));
  EXPECT_EQ(MessageOf(reply->error),
            "ovsdb transaction failed: referential integrity violation: port is referenced");
  EXPECT_EQ(ErrorTag(reply->error), std::optional<std::string>("referential integrity violation"));
}

TEST(OvsdbErrorTest, SplitTagsACommitError) {
  const json ops = json::array({{{"op", "insert"}}});
  const Batch batch = Batch::Merge({ops, ops}, false);
  auto reply =
      BatchReply::Split(batch, json::parse(R"([{"uuid": ["uuid", "u0"]}, {"uuid": ["uuid", "u1"]},
                              {"error": "constraint violation", "details": "duplicate name"}])"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->guilty, std::nullopt);
  EXPECT_TRUE(HasErrorTag(reply->error, error_tag::kConstraintViolation));
  EXPECT_EQ(MessageOf(reply->error),
            "ovsdb transaction failed: constraint violation: duplicate name");
}

}  // namespace
}  // namespace hvagent::ovsdb
