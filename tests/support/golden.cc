#include "hvagent_test/golden.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hvagent_test/testbed.h"

namespace hvagent::testing {

std::string TestDataPath(const std::string& relative) {
  return SourceDir() + "/tests/unit/testdata/" + relative;
}

std::string ReadTestData(const std::string& relative) {
  std::ifstream in(TestDataPath(relative), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read golden file " << TestDataPath(relative);
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json GoldenJson(const std::string& relative) {
  nlohmann::json parsed = nlohmann::json::parse(ReadTestData(relative), nullptr,
                                                /*allow_exceptions=*/false);
  if (parsed.is_discarded()) ADD_FAILURE() << "golden file " << relative << " is not JSON";
  return parsed;
}

}  // namespace hvagent::testing
