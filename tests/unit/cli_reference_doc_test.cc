// docs/hvctl.md's command reference is `hvctl help --all`: this fails when a
// command changes and the document does not.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hvagent/cli/commands.h"
#include "hvagent/cli/runner.h"

namespace hvagent::cli {
namespace {

TEST(CliReferenceDocTest, DocsHvctlMdEndsWithTheGeneratedReference) {
  std::ifstream in(std::string(HVAGENT_DOCS_DIR) + "/hvctl.md");
  ASSERT_TRUE(in) << "docs/hvctl.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::string marker = "do not edit below this line -->\n";
  const size_t at = doc.find(marker);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(doc.substr(at + marker.size()), Reference(BuildCommandTable()))
      << "regenerate: (sed '/do not edit below this line/q' docs/hvctl.md; "
         "hvctl help --all) > new && mv new docs/hvctl.md";
}

}  // namespace
}  // namespace hvagent::cli
