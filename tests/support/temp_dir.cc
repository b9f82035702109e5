#include "hvagent_test/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace hvagent::testing {

std::string MakeTempDir(std::string_view prefix, std::string* error) {
  std::string templ = "/tmp/" + std::string(prefix) + ".XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    *error = "mkdtemp " + templ + ": " + std::error_code(errno, std::generic_category()).message();
    return "";
  }
  return templ;
}

TempDir::TempDir(std::string_view prefix) {
  std::string error;
  path_ = MakeTempDir(prefix, &error);
  if (path_.empty()) ADD_FAILURE() << error;
}

TempDir::~TempDir() { Remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

}  // namespace hvagent::testing
