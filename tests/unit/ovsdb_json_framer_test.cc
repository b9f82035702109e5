// Splitting ovsdb-server's unframed stream of JSON values.
#include <gtest/gtest.h>

#include "hvagent/ovsdb/json_framer.h"

namespace hvagent::ovsdb {
namespace {

TEST(OvsdbJsonFramerTest, ValuesSplitAcrossReadsAndPackedTogether) {
  JsonFramer framer;
  framer.Append(R"({"id":1,"result":["a}", "b\"]"]})");
  framer.Append(R"(  {"id":2,)");
  auto first = framer.Next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((**first)["result"][0], "a}");
  EXPECT_EQ((**first)["result"][1], "b\"]");
  auto partial = framer.Next();
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  framer.Append(R"("result":{"x":[1,{}]}})");
  framer.Append("\n");
  auto second = framer.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((**second)["id"], 2);
  auto none = framer.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(OvsdbJsonFramerTest, GarbageIsAnError) {
  JsonFramer junk;
  junk.Append("hello");
  EXPECT_FALSE(junk.Next().ok());
  JsonFramer unbalanced;
  unbalanced.Append("}");
  EXPECT_FALSE(unbalanced.Next().ok());
  JsonFramer bad;
  bad.Append("{\"a\" 1}");
  EXPECT_FALSE(bad.Next().ok());
}

}  // namespace
}  // namespace hvagent::ovsdb
