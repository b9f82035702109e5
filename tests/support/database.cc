#include "hvagent_test/database.h"

#include <gtest/gtest.h>

namespace hvagent::testing {

std::unique_ptr<store::Database> OpenDatabaseOrFail(const std::string& path) {
  auto db = store::Database::Open(path);
  if (!db.ok()) {
    ADD_FAILURE() << "open " << path << ": " << db.status();
    return nullptr;
  }
  return *std::move(db);
}

}  // namespace hvagent::testing
