#include "owned_rows.h"

#include <algorithm>

#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network::rows {

using nlohmann::json;

std::map<std::string, std::string> OwnerTags(const std::string& kind, const std::string& name,
                                             std::map<std::string, std::string> extra) {
  extra["owner"] = kOwner;
  extra["kind"] = kind;
  extra["name"] = name;
  return extra;
}

json Map(const std::map<std::string, std::string>& values) {
  json pairs = json::array();
  for (const auto& [k, v] : values) pairs.push_back(json::array({k, v}));
  return json::array({"map", pairs});
}

json IntSet(const std::vector<uint32_t>& values) {
  json items = json::array();
  for (const uint32_t v : values) items.push_back(v);
  return json::array({"set", items});
}

json Uuid(const std::string& uuid) { return json::array({"uuid", uuid}); }

json UuidSet(const std::vector<std::string>& uuids) {
  json items = json::array();
  for (const auto& u : uuids) items.push_back(Uuid(u));
  return json::array({"set", items});
}

json EmptySet() { return json::array({"set", json::array()}); }

json WhereEq(const std::string& column, const json& value) {
  return json::array({json::array({column, "==", value})});
}

json WhereOwned(const std::string& kind) {
  return json::array(
      {json::array({"external_ids", "includes", Map({{"owner", kOwner}, {"kind", kind}})})});
}

json BridgeMustExist(const std::string& bridge) {
  return {{"op", "wait"},
          {"table", "Bridge"},
          {"timeout", 0},
          {"where", WhereEq("name", bridge)},
          {"columns", json::array({"name"})},
          {"until", "=="},
          {"rows", json::array({{{"name", bridge}}})}};
}

json Select(const std::string& table, const json& where, const std::vector<std::string>& columns) {
  return {{"op", "select"}, {"table", table}, {"where", where}, {"columns", columns}};
}

json AddToBridge(const std::string& bridge, const std::string& column, const json& ref) {
  return {
      {"op", "mutate"},
      {"table", "Bridge"},
      {"where", WhereEq("name", bridge)},
      {"mutations",
       json::array({json::array({column, "insert", json::array({"set", json::array({ref})})})})}};
}

json RemoveFromBridges(const std::string& column, const std::string& uuid) {
  return {{"op", "mutate"},
          {"table", "Bridge"},
          {"where", json::array({json::array({column, "includes", Uuid(uuid)})})},
          {"mutations", json::array({json::array({column, "delete", UuidSet({uuid})})})}};
}

std::map<std::string, std::string> ParseMap(const json& value) {
  std::map<std::string, std::string> out;
  if (value.is_array() && value.size() == 2 && value[0] == "map") {
    for (const auto& pair : value[1]) out[pair[0].get<std::string>()] = pair[1].get<std::string>();
  }
  return out;
}

std::vector<json> ParseSet(const json& value) {
  // A one-element set is sent as the bare atom (RFC 7047 §5.1).
  if (value.is_array() && value.size() == 2 && value[0] == "set") {
    return {value[1].begin(), value[1].end()};
  }
  return {value};
}

std::string ParseUuid(const json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid") {
    return value[1].get<std::string>();
  }
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].size() == 1) {
    return ParseUuid(value[1][0]);
  }
  return "";
}

Status ValidateInterfaceName(std::string_view field, const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == ".." ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: '{}' must be 1–15 characters [A-Za-z0-9_.-] (a Linux interface name)", field, name));
  }
  return absl::OkStatus();
}

bool IsOwned(const std::map<std::string, std::string>& external_ids, const std::string& kind) {
  const auto owner = external_ids.find("owner");
  const auto k = external_ids.find("kind");
  return owner != external_ids.end() && owner->second == kOwner && k != external_ids.end() &&
         k->second == kind;
}

Status ExplainBridgeWait(const Status& status, const std::string& bridge) {
  if (status.code() == absl::StatusCode::kFailedPrecondition &&
      MessageOf(status).find("timed out") != std::string::npos) {
    return absl::FailedPreconditionError(
        fmt::format("bridge: '{}' does not exist on this host", bridge));
  }
  return status;
}

}  // namespace hvagent::network::rows

namespace hvagent::network::rows {

namespace {

// The bridge name of every Port uuid, from a select of Bridge {name, ports}.
std::map<std::string, std::string> BridgeOfPorts(const json& bridge_rows) {
  std::map<std::string, std::string> out;
  for (const auto& bridge : bridge_rows) {
    for (const auto& port : ParseSet(bridge.at("ports"))) {
      out[ParseUuid(port)] = bridge.at("name").get<std::string>();
    }
  }
  return out;
}

OwnedPort ToOwnedPort(const json& port, const std::map<std::string, std::string>& bridges,
                      const json& interfaces) {
  OwnedPort out;
  out.uuid = ParseUuid(port.at("_uuid"));
  out.name = port.at("name").get<std::string>();
  if (const auto it = bridges.find(out.uuid); it != bridges.end()) out.bridge = it->second;
  const auto tag = ParseSet(port.at("tag"));
  if (tag.size() == 1 && tag[0].is_number()) out.tag = tag[0].get<uint32_t>();
  out.external_ids = ParseMap(port.at("external_ids"));
  for (const auto& iface : interfaces) {
    if (iface.at("name") == out.name) {
      out.interface_type = iface.at("type").get<std::string>();
      out.options = ParseMap(iface.at("options"));
    }
  }
  return out;
}

// Functions, not globals: a throwing static initializer could not be caught.
std::vector<std::string> PortColumns() { return {"_uuid", "name", "tag", "external_ids"}; }
std::vector<std::string> InterfaceColumns() { return {"name", "type", "options"}; }
std::vector<std::string> BridgeColumns() { return {"name", "ports"}; }

}  // namespace

StatusOr<std::optional<OwnedPort>> FindPort(ovsdb::Transactor& ovsdb, const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb.Transact(json::array({Select("Port", WhereEq("name", name), PortColumns()),
                                  Select("Interface", WhereEq("name", name), InterfaceColumns()),
                                  Select("Bridge", json::array(), BridgeColumns())})));
  const json& ports = results.at(0).at("rows");
  if (ports.empty()) return std::nullopt;
  return ToOwnedPort(ports.at(0), BridgeOfPorts(results.at(2).at("rows")),
                     results.at(1).at("rows"));
}

StatusOr<std::vector<OwnedPort>> ListOwnedPorts(ovsdb::Transactor& ovsdb, const std::string& kind) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb.Transact(json::array({Select("Port", WhereOwned(kind), PortColumns()),
                                  Select("Interface", WhereOwned(kind), InterfaceColumns()),
                                  Select("Bridge", json::array(), BridgeColumns())})));
  const auto bridges = BridgeOfPorts(results.at(2).at("rows"));
  std::vector<OwnedPort> out;
  for (const auto& port : results.at(0).at("rows")) {
    out.push_back(ToOwnedPort(port, bridges, results.at(1).at("rows")));
  }
  std::sort(out.begin(), out.end(),
            [](const OwnedPort& a, const OwnedPort& b) { return a.name < b.name; });
  return out;
}

Status DeleteOwnedPort(ovsdb::Transactor& ovsdb, const std::string& kind, const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<OwnedPort> port, FindPort(ovsdb, name));
  if (!port) return absl::NotFoundError(fmt::format("name: no port '{}' on this host", name));
  if (!IsOwned(port->external_ids, kind)) {
    return absl::FailedPreconditionError(
        fmt::format("name: port '{}' is not a {} the agent created; it is left alone", name, kind));
  }
  return ovsdb.Transact(json::array({RemoveFromBridges("ports", port->uuid)})).status();
}

json AddPortOperations(const std::string& bridge, const std::string& name, json interface_row,
                       json port_row, const std::map<std::string, std::string>& external_ids) {
  interface_row["name"] = name;
  interface_row["external_ids"] = Map(external_ids);
  port_row["name"] = name;
  port_row["interfaces"] = json::array({"named-uuid", "iface"});
  port_row["external_ids"] = Map(external_ids);
  return json::array({
      BridgeMustExist(bridge),
      {{"op", "insert"}, {"table", "Interface"}, {"uuid-name", "iface"}, {"row", interface_row}},
      {{"op", "insert"}, {"table", "Port"}, {"uuid-name", "port"}, {"row", port_row}},
      AddToBridge(bridge, "ports", json::array({"named-uuid", "port"})),
  });
}

}  // namespace hvagent::network::rows
