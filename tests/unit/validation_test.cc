// The API's input rules: what each check accepts, what it rejects, and that a
// rejection is INVALID_ARGUMENT naming the field.
#include "hvagent/api/validation.h"
#include "hvagent/common/names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hvagent::api {
namespace {

TEST(ValidatePageTest, TokensAreNamesHandedOutByAPreviousPage) {
  EXPECT_TRUE(ValidatePage(0, "").ok());
  EXPECT_TRUE(ValidatePage(10, "vlan.10").ok());
  const Status garbage = ValidatePage(10, "\x01garbage/../");
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(garbage.message(), "page.page_token: is not a token from a previous page of this list");
  EXPECT_EQ(ValidatePage(1001, "").code(), absl::StatusCode::kInvalidArgument);
}

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Expects INVALID_ARGUMENT whose message starts with "`field`: ".
void ExpectInvalid(const Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(MessageOf(status), StartsWith(field + ": "));
}

TEST(ValidateResourceNameTest, EmptyIsRequired) {
  const Status status = ValidateResourceName("network.name", "");
  ExpectInvalid(status, "network.name");
  EXPECT_THAT(MessageOf(status), HasSubstr("is required"));
}

TEST(ValidateResourceNameTest, SixtyFourCharactersAreTheLimit) {
  EXPECT_TRUE(ValidateResourceName("name", std::string(64, 'a')).ok());
  const Status status = ValidateResourceName("name", std::string(65, 'a'));
  ExpectInvalid(status, "name");
  EXPECT_THAT(MessageOf(status), HasSubstr("64"));
}

TEST(ValidateResourceNameTest, AcceptsLettersDigitsAndPunctuation) {
  EXPECT_TRUE(ValidateResourceName("name", "vlan.10").ok());
  EXPECT_TRUE(ValidateResourceName("name", "0net_a-b.c").ok());
}

TEST(ValidateResourceNameTest, RejectsALeadingNonAlphanumeric) {
  ExpectInvalid(ValidateResourceName("name", "-net"), "name");
  ExpectInvalid(ValidateResourceName("name", ".net"), "name");
  ExpectInvalid(ValidateResourceName("name", "_net"), "name");
}

TEST(ValidateResourceNameTest, RejectsMarkupSpacesAndUnicode) {
  // Names end up in libvirt XML and OVSDB: markup must never get through.
  ExpectInvalid(ValidateResourceName("name", "a'><devices>"), "name");
  ExpectInvalid(ValidateResourceName("name", "my net"), "name");
  ExpectInvalid(ValidateResourceName("name", "net\t1"), "name");
  ExpectInvalid(ValidateResourceName("name", "r\xC3\xA9seau"), "name");  // "réseau"
  ExpectInvalid(ValidateResourceName("name", std::string("a\0b", 3)), "name");
}

TEST(ValidateInterfaceNameTest, FifteenCharactersAreTheLimit) {
  EXPECT_TRUE(ValidateInterfaceName("bridge", std::string(15, 'b')).ok());
  ExpectInvalid(ValidateInterfaceName("bridge", std::string(16, 'b')), "bridge");
}

TEST(ValidateInterfaceNameTest, RejectsDotNamesAndOddCharacters) {
  ExpectInvalid(ValidateInterfaceName("bridge", "."), "bridge");
  ExpectInvalid(ValidateInterfaceName("bridge", ".."), "bridge");
  ExpectInvalid(ValidateInterfaceName("bridge", ""), "bridge");
  ExpectInvalid(ValidateInterfaceName("bridge", "br/0"), "bridge");
  ExpectInvalid(ValidateInterfaceName("bridge", "br 0"), "bridge");
}

TEST(ValidateInterfaceNameTest, AcceptsUsualNames) {
  EXPECT_TRUE(ValidateInterfaceName("bridge", "br0-up").ok());
  EXPECT_TRUE(ValidateInterfaceName("bridge", "eth0.10").ok());
}

TEST(ValidateVlanIdTest, ZeroIsUntaggedOnlyWhereAllowed) {
  EXPECT_TRUE(ValidateVlanId("vlan_id", 0, /*allow_untagged=*/true).ok());
  ExpectInvalid(ValidateVlanId("vlan_id", 0, /*allow_untagged=*/false), "vlan_id");
}

TEST(ValidateVlanIdTest, RangeIsOneTo4094) {
  EXPECT_TRUE(ValidateVlanId("vlan_id", 1, false).ok());
  EXPECT_TRUE(ValidateVlanId("vlan_id", 4094, false).ok());
  EXPECT_TRUE(ValidateVlanId("vlan_id", 4094, true).ok());
  for (const bool allow_untagged : {false, true}) {
    const Status status = ValidateVlanId("vlan_id", 4095, allow_untagged);
    ExpectInvalid(status, "vlan_id");
    EXPECT_THAT(MessageOf(status), HasSubstr("4095"));
  }
  EXPECT_THAT(MessageOf(ValidateVlanId("vlan_id", 70000, true)), HasSubstr("70000"));
}

TEST(ValidateRequestIdTest, EmptyIsFine) { EXPECT_TRUE(ValidateRequestId("").ok()); }

TEST(ValidateRequestIdTest, AcceptsUpTo128AllowedCharacters) {
  EXPECT_TRUE(ValidateRequestId("abc-1:2_3.4").ok());
  EXPECT_TRUE(ValidateRequestId(std::string(128, 'r')).ok());
}

TEST(ValidateRequestIdTest, RejectsTooLongOrOddCharacters) {
  ExpectInvalid(ValidateRequestId(std::string(129, 'r')), "request_id");
  ExpectInvalid(ValidateRequestId("abc def"), "request_id");
  ExpectInvalid(ValidateRequestId("abc/def"), "request_id");
}

TEST(ValidatePageSizeTest, ZeroTo1000) {
  EXPECT_TRUE(ValidatePageSize(0).ok());
  EXPECT_TRUE(ValidatePageSize(1000).ok());
  const Status status = ValidatePageSize(1001);
  ExpectInvalid(status, "page.page_size");
  EXPECT_THAT(MessageOf(status), HasSubstr("1001"));
}

TEST(ValidateExpectedGenerationTest, ZeroOrPositive) {
  EXPECT_TRUE(ValidateExpectedGeneration(0).ok());
  EXPECT_TRUE(ValidateExpectedGeneration(7).ok());
  const Status status = ValidateExpectedGeneration(-1);
  ExpectInvalid(status, "expected_generation");
  EXPECT_EQ(MessageOf(status), "expected_generation: must be 0 (no check) or positive");
}

}  // namespace
}  // namespace hvagent::api
