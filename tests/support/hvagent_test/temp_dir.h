// A private directory for one test's files, made by mkdtemp and removed with
// all it holds when the object goes, so fixtures need no SetUp/TearDown pair
// for it. Declare it before anything that keeps files open in it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace hvagent::testing {

// "/tmp/<prefix>.XXXXXX" made fresh; "" with the reason in `error` if it
// cannot be. Short on purpose: unix socket paths are limited to 107 bytes.
std::string MakeTempDir(std::string_view prefix, std::string* error);

class TempDir {
 public:
  // Makes the directory; a failure is a test failure, and path() is then empty.
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string string() const { return path_.string(); }
  std::filesystem::path operator/(const std::filesystem::path& relative) const {
    return path_ / relative;
  }

 private:
  void Remove();

  std::filesystem::path path_;
};

}  // namespace hvagent::testing
