// RFC 7047 values and operations as JSON: the one set of builders (§5.1
// notation, §5.2 operations) and readers every OVSDB user of the agent takes,
// so a set, a map or a wait is spelled the same way everywhere.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace hvagent::ovsdb {

// Values (RFC 7047 §5.1).
nlohmann::json Uuid(const std::string& uuid);              // ["uuid", uuid]
nlohmann::json NamedUuid(const std::string& name);         // ["named-uuid", name]
nlohmann::json Set(std::vector<nlohmann::json> elements);  // ["set", [elements…]]
nlohmann::json EmptySet();
nlohmann::json UuidSet(const std::vector<std::string>& uuids);
nlohmann::json IntSet(const std::vector<uint32_t>& values);
nlohmann::json Map(const std::map<std::string, std::string>& values);  // ["map", [[k, v]…]]

// Reading values back from select results. A set of one element may come as
// the bare atom (§5.1), which these accept.
std::vector<nlohmann::json> SetElements(const nlohmann::json& value);
// The uuid of ["uuid", u] (or of a set holding just that); "" for anything else.
std::string UuidOf(const nlohmann::json& value);
// Whether a set of UUIDs (or one bare UUID) holds `uuid`; reads it in place.
bool SetHasUuid(const nlohmann::json& set, std::string_view uuid);
// The uuids of a set of uuids.
std::vector<std::string> UuidsOf(const nlohmann::json& value);
// A string→string map; empty for anything else.
std::map<std::string, std::string> MapOf(const nlohmann::json& value);
// A string, or the element of an optional string (a set of 0 or 1); "" otherwise.
std::string StringOf(const nlohmann::json& value);

// Operations (RFC 7047 §5.2).
// [[column, "==", value]]
nlohmann::json WhereEq(const std::string& column, const nlohmann::json& value);
// The row with this _uuid.
nlohmann::json WhereUuid(const std::string& uuid);
nlohmann::json Select(const std::string& table, const nlohmann::json& where,
                      const std::vector<std::string>& columns);
// A `wait` (timeout 0: checked once, when the transaction runs) that holds
// when `where` matches exactly `rows`, restricted to `columns`. When it does
// not hold the server fails the transaction with error "timed out"
// (error_tag::kTimedOut in error.h) and commits nothing: a guard against a
// change between a read and a write.
nlohmann::json WaitRows(const std::string& table, const nlohmann::json& where,
                        const nlohmann::json& columns, const nlohmann::json& rows);
// A `wait` that holds when a row of `table` has `name`: checked by the
// server, so a concurrent delete cannot slip between a check and the change.
nlohmann::json WaitNamePresent(const std::string& table, const std::string& name);
// A `wait` that holds when no row of `table` has `name`.
nlohmann::json WaitNameAbsent(const std::string& table, const std::string& name);

}  // namespace hvagent::ovsdb
