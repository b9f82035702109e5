// The store's schema as an append-only list of migration steps. Step i
// (counting from 1) takes PRAGMA user_version from i-1 to i in its own
// transaction. Add tables by appending a step; never edit a released one.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace hvagent::store {

std::span<const std::string_view> SchemaMigrations();

// The user_version of a fully migrated store.
inline int64_t LatestSchemaVersion() { return static_cast<int64_t>(SchemaMigrations().size()); }

}  // namespace hvagent::store
