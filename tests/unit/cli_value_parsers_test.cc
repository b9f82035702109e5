// The value parsers behind hvctl's key=value arguments: what they accept, and
// that every rejection names the key and the rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/cli/value_parsers.h"

namespace hvagent::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CliValueParsersTest, IntsInRange) {
  EXPECT_EQ(*ParseInt("vlan", "0", 0, 4094), 0);
  EXPECT_EQ(*ParseInt("vlan", "4094", 0, 4094), 4094);
  EXPECT_EQ(*ParseInt("delta", "-5", -10, 10), -5);
}

TEST(CliValueParsersTest, MalformedOrOutOfRangeInts) {
  for (const char* bad :
       {"", "4095", "-1", "10x", " 10", "+10", "1.5", "0x10", "ten", "99999999999999999999999"}) {
    const StatusOr<int64_t> v = ParseInt("vlan", bad, 0, 4094);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("vlan: must be a whole number from 0 to 4094"));
    EXPECT_THAT(MessageOf(v.status()), HasSubstr(std::string("(is '") + bad + "')"));
  }
}

TEST(CliValueParsersTest, SizesAreBinaryMultiples) {
  EXPECT_EQ(*ParseSize("memory", "1024"), 1024u);
  EXPECT_EQ(*ParseSize("memory", "512K"), 512u << 10);
  EXPECT_EQ(*ParseSize("memory", "512M"), 512ULL << 20);
  EXPECT_EQ(*ParseSize("memory", "512m"), 512ULL << 20);
  EXPECT_EQ(*ParseSize("memory", "4G"), 4ULL << 30);
  EXPECT_EQ(*ParseSize("memory", "4GB"), 4ULL << 30);
  EXPECT_EQ(*ParseSize("memory", "4GiB"), 4ULL << 30);
  EXPECT_EQ(*ParseSize("create_size", "1T"), 1ULL << 40);
  EXPECT_EQ(*ParseSize("create_size", "1P"), 1ULL << 50);
  EXPECT_EQ(*ParseSize("create_size", "8E"), 8ULL << 60);
}

TEST(CliValueParsersTest, MalformedSizes) {
  for (const char* bad : {"", "G", "4X", "4GG", "4 G", "1.5G", "-1G", "4Gi", "4MiBs"}) {
    const StatusOr<uint64_t> v = ParseSize("memory", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("memory: must be a size")) << bad;
  }
  // 16E does not fit in 64 bits.
  EXPECT_THAT(MessageOf(ParseSize("memory", "16E").status()), HasSubstr("too large"));
  EXPECT_THAT(MessageOf(ParseSize("memory", "99999999999999999999").status()),
              HasSubstr("too large"));
}

TEST(CliValueParsersTest, Bools) {
  for (const char* yes : {"true", "TRUE", "yes", "on", "1"}) EXPECT_TRUE(*ParseBool("force", yes));
  for (const char* no : {"false", "No", "off", "0"}) EXPECT_FALSE(*ParseBool("force", no));
  const StatusOr<bool> bad = ParseBool("force", "maybe");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(MessageOf(bad.status()), "force: must be true or false (is 'maybe')");
}

TEST(CliValueParsersTest, MacsAreNormalisedToLowerCase) {
  EXPECT_EQ(*ParseMac("mac", "52:54:00:AB:cd:EF"), "52:54:00:ab:cd:ef");
  for (const char* bad : {"52:54:00:ab:cd", "52-54-00-ab-cd-ef", "52:54:00:ab:cd:eg",
                          "525400abcdef", "52:54:00:ab:cd:ef:00", "5:54:00:ab:cd:eff"}) {
    const StatusOr<std::string> v = ParseMac("mac", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("mac: must be a MAC address")) << bad;
  }
}

TEST(CliValueParsersTest, Lists) {
  EXPECT_THAT(*ParseList("members", "eth0,eth1"), ElementsAre("eth0", "eth1"));
  EXPECT_THAT(*ParseList("members", "eth0"), ElementsAre("eth0"));
  for (const char* bad : {"", ",", "eth0,", ",eth0", "eth0,,eth1"}) {
    const auto v = ParseList("members", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_THAT(MessageOf(v.status()), HasSubstr("without empty elements")) << bad;
  }
  EXPECT_THAT(MessageOf(ParseList("members", "eth0,eth1,eth0").status()),
              HasSubstr("members: lists 'eth0' twice"));
}

TEST(CliValueParsersTest, IntListsAsTheSeedWritesThem) {
  EXPECT_THAT(*ParseIntList("trunked_networks", "10,20,30", 1, 4094), ElementsAre(10, 20, 30));
  EXPECT_THAT(MessageOf(ParseIntList("trunked_networks", "10,5000", 1, 4094).status()),
              HasSubstr("every element must be a whole number from 1 to 4094"));
  EXPECT_THAT(MessageOf(ParseIntList("trunked_networks", "10,x", 1, 4094).status()),
              HasSubstr("trunked_networks:"));
  // One VLAN written two ways is still a duplicate.
  EXPECT_THAT(MessageOf(ParseIntList("trunked_networks", "10,010", 1, 4094).status()),
              HasSubstr("lists 10 twice"));
  EXPECT_FALSE(ParseIntList("trunked_networks", "10,,20", 1, 4094).ok());
}

}  // namespace
}  // namespace hvagent::cli
