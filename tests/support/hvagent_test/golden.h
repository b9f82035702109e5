// Golden files under tests/unit/testdata/: the expected output of a pure
// translation (spec → domain XML, spec → OVSDB operations), read whole.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace hvagent::testing {

// The path of `relative` under tests/unit/testdata/.
std::string TestDataPath(const std::string& relative);
// Its bytes; empty (and a test failure) when it cannot be read.
std::string ReadTestData(const std::string& relative);
// Its JSON (OVSDB operation goldens); a test failure when it does not parse.
nlohmann::json GoldenJson(const std::string& relative);

}  // namespace hvagent::testing
