// The agent's SQLite store in tests.
#pragma once

#include <memory>
#include <string>

#include "hvagent/store/database.h"

namespace hvagent::testing {

// Opens (creating if new) the database file `path`; null after a test failure
// that gives the reason.
std::unique_ptr<store::Database> OpenDatabaseOrFail(const std::string& path);

}  // namespace hvagent::testing
