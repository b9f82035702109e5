#include "hvagent/compute/runtime_metadata.h"

#include <gtest/gtest.h>

namespace hvagent::compute {
namespace {

TEST(RuntimeMetadataTest, RoundTrips) {
  const std::string xml = BuildRuntimeMetadataXml({.started_unix_ms = 1764000000123});
  EXPECT_EQ(xml, "<runtime started-unix-ms=\"1764000000123\"/>");
  auto parsed = ParseRuntimeMetadataXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->started_unix_ms, 1764000000123);
}

TEST(RuntimeMetadataTest, ReadsWhatLibvirtReturnsWithItsNamespacePrefix) {
  // virDomainGetMetadata gives the element back with the namespace declared.
  auto parsed = ParseRuntimeMetadataXml(
      "<runtime xmlns=\"https://hvagent.dev/xmlns/vm-runtime/1\" started-unix-ms=\"42\"/>");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->started_unix_ms, 42);
}

TEST(RuntimeMetadataTest, RefusesWhatIsNotOurs) {
  for (const char* xml : {"", "<runtime/>", "<runtime started-unix-ms=\"x\"/>",
                          "<runtime started-unix-ms=\"12x\"/>", "<runtime started-unix-ms=\"-5\"/>",
                          "<other started-unix-ms=\"5\"/>", "<runtime started-unix-ms="}) {
    EXPECT_EQ(ParseRuntimeMetadataXml(xml).status().code(), absl::StatusCode::kInvalidArgument)
        << xml;
  }
}

}  // namespace
}  // namespace hvagent::compute
