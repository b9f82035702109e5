#include "hvagent/common/enum_map.h"

#include <gtest/gtest.h>

#include <string_view>

namespace hvagent {
namespace {

enum class Color { kRed, kGreen, kBlue };
// As protoc declares a proto enum: `: int`, so any int is a value of it.
enum WireColor : int { WIRE_UNSPECIFIED = 0, WIRE_RED = 1, WIRE_GREEN = 2 };

constexpr auto kColors = MakeEnumMap<Color, WireColor>({
    {Color::kRed, WIRE_RED},
    {Color::kGreen, WIRE_GREEN},
    {Color::kRed, WIRE_UNSPECIFIED},  // read only backwards: kRed goes out as WIRE_RED
});

TEST(EnumMapTest, ReadsBothWays) {
  EXPECT_EQ(kColors.To(Color::kGreen), WIRE_GREEN);
  EXPECT_EQ(kColors.From(WIRE_GREEN), Color::kGreen);
}

TEST(EnumMapTest, FirstPairWinsAndExtraPairsReadBackwards) {
  EXPECT_EQ(kColors.To(Color::kRed), WIRE_RED);
  EXPECT_EQ(kColors.From(WIRE_UNSPECIFIED), Color::kRed);
  EXPECT_EQ(kColors.From(WIRE_RED), Color::kRed);
}

TEST(EnumMapTest, ValuesInNoPairAreNullopt) {
  EXPECT_EQ(kColors.To(Color::kBlue), std::nullopt);
  EXPECT_EQ(kColors.From(static_cast<WireColor>(7)), std::nullopt);
}

TEST(EnumMapTest, MapsSpellings) {
  constexpr auto names = MakeEnumMap<Color, std::string_view>({{Color::kRed, "red"}});
  static_assert(names.To(Color::kRed) == "red");
  static_assert(names.From("red") == Color::kRed);
  EXPECT_EQ(names.From("blue"), std::nullopt);
}

}  // namespace
}  // namespace hvagent
