#include "hvagent/ovsdb/datum.h"

#include <algorithm>

namespace hvagent::ovsdb {

using nlohmann::json;

json Uuid(const std::string& uuid) { return json::array({"uuid", uuid}); }

json NamedUuid(const std::string& name) { return json::array({"named-uuid", name}); }

json Set(std::vector<json> elements) {
  json items = json::array();
  for (json& e : elements) items.push_back(std::move(e));
  return json::array({"set", std::move(items)});
}

json EmptySet() { return Set({}); }

json UuidSet(const std::vector<std::string>& uuids) {
  std::vector<json> items;
  for (const std::string& u : uuids) items.push_back(Uuid(u));
  return Set(std::move(items));
}

json IntSet(const std::vector<uint32_t>& values) {
  return Set(std::vector<json>(values.begin(), values.end()));
}

json Map(const std::map<std::string, std::string>& values) {
  json pairs = json::array();
  for (const auto& [k, v] : values) pairs.push_back(json::array({k, v}));
  return json::array({"map", pairs});
}

std::vector<json> SetElements(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array()) {
    return value[1].get<std::vector<json>>();
  }
  return {value};
}

bool SetHasUuid(const json& set, std::string_view uuid) {
  const auto is = [uuid](const json& e) {
    return e.is_array() && e.size() == 2 && e[0] == "uuid" && e[1].is_string() &&
           e[1].get_ref<const std::string&>() == uuid;
  };
  if (set.is_array() && set.size() == 2 && set[0] == "set" && set[1].is_array()) {
    return std::any_of(set[1].begin(), set[1].end(), is);
  }
  return is(set);
}

std::string UuidOf(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid" && value[1].is_string()) {
    return value[1].get<std::string>();
  }
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array() &&
      value[1].size() == 1) {
    return UuidOf(value[1][0]);
  }
  return "";
}

std::vector<std::string> UuidsOf(const json& value) {
  std::vector<std::string> out;
  for (const json& e : SetElements(value)) out.push_back(UuidOf(e));
  return out;
}

std::map<std::string, std::string> MapOf(const json& value) {
  std::map<std::string, std::string> out;
  if (value.is_array() && value.size() == 2 && value[0] == "map" && value[1].is_array()) {
    for (const json& pair : value[1])
      out[pair.at(0).get<std::string>()] = pair.at(1).get<std::string>();
  }
  return out;
}

std::string StringOf(const json& value) {
  for (const json& e : SetElements(value)) {
    if (e.is_string()) return e.get<std::string>();
  }
  return "";
}

json WhereEq(const std::string& column, const json& value) {
  return json::array({json::array({column, "==", value})});
}

json WhereUuid(const std::string& uuid) { return WhereEq("_uuid", Uuid(uuid)); }

json Select(const std::string& table, const json& where, const std::vector<std::string>& columns) {
  return {{"op", "select"}, {"table", table}, {"where", where}, {"columns", columns}};
}

json WaitRows(const std::string& table, const json& where, const json& columns, const json& rows) {
  return {{"op", "wait"},       {"table", table}, {"timeout", 0}, {"where", where},
          {"columns", columns}, {"until", "=="},  {"rows", rows}};
}

json WaitNamePresent(const std::string& table, const std::string& name) {
  return WaitRows(table, WhereEq("name", name), json::array({"name"}),
                  json::array({{{"name", name}}}));
}

json WaitNameAbsent(const std::string& table, const std::string& name) {
  return WaitRows(table, WhereEq("name", name), json::array({"name"}), json::array());
}

}  // namespace hvagent::ovsdb
