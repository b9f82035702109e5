#include "owned_rows.h"

#include <algorithm>

#include "hvagent/common/names.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"
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

json WhereOwned(const std::string& kind) {
  return json::array(
      {json::array({"external_ids", "includes", ovsdb::Map({{"owner", kOwner}, {"kind", kind}})})});
}

json AddToBridge(const std::string& bridge, const std::string& column, const json& ref) {
  return {{"op", "mutate"},
          {"table", "Bridge"},
          {"where", ovsdb::WhereEq("name", bridge)},
          {"mutations", json::array({json::array({column, "insert", ovsdb::Set({ref})})})}};
}

json RemoveFromBridges(const std::string& column, const std::string& uuid) {
  return {{"op", "mutate"},
          {"table", "Bridge"},
          {"where", json::array({json::array({column, "includes", ovsdb::Uuid(uuid)})})},
          {"mutations", json::array({json::array({column, "delete", ovsdb::UuidSet({uuid})})})}};
}

bool IsOwned(const std::map<std::string, std::string>& external_ids, const std::string& kind) {
  const auto owner = external_ids.find("owner");
  const auto k = external_ids.find("kind");
  return owner != external_ids.end() && owner->second == kOwner && k != external_ids.end() &&
         k->second == kind;
}

Status ExplainBridgeWait(const Status& status, const std::string& bridge) {
  if (ovsdb::HasErrorTag(status, ovsdb::error_tag::kTimedOut)) {
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
    for (const auto& port : ovsdb::SetElements(bridge.at("ports"))) {
      out[ovsdb::UuidOf(port)] = bridge.at("name").get<std::string>();
    }
  }
  return out;
}

// A Port row (selected, or cached) with the name of its bridge ("" if none)
// and its Interface row of the same name (null if none).
OwnedPort MakeOwnedPort(std::string uuid, const json& port, std::string bridge,
                        const json* interface) {
  OwnedPort out;
  out.uuid = std::move(uuid);
  out.name = port.at("name").get<std::string>();
  out.bridge = std::move(bridge);
  const auto tag = ovsdb::SetElements(port.at("tag"));
  if (tag.size() == 1 && tag[0].is_number()) out.tag = tag[0].get<uint32_t>();
  out.external_ids = ovsdb::MapOf(port.at("external_ids"));
  if (interface != nullptr) {
    out.interface_type = interface->at("type").get<std::string>();
    out.options = ovsdb::MapOf(interface->at("options"));
  }
  return out;
}

// Selected Interface rows by name: a port finds its own in O(log n), not by
// a walk of every interface (which made listing n owned ports O(n^2)).
std::map<std::string, const json*, std::less<>> InterfacesByName(const json& interfaces) {
  std::map<std::string, const json*, std::less<>> by_name;
  for (const json& iface : interfaces) by_name[iface.at("name").get<std::string>()] = &iface;
  return by_name;
}

OwnedPort ToOwnedPort(const json& port, const std::map<std::string, std::string>& bridges,
                      const std::map<std::string, const json*, std::less<>>& interfaces) {
  std::string uuid = ovsdb::UuidOf(port.at("_uuid"));
  const auto bridge = bridges.find(uuid);
  const auto interface = interfaces.find(port.at("name").get_ref<const std::string&>());
  return MakeOwnedPort(std::move(uuid), port, bridge != bridges.end() ? bridge->second : "",
                       interface != interfaces.end() ? interface->second : nullptr);
}

// Functions, not globals: a throwing static initializer could not be caught.
std::vector<std::string> PortColumns() { return {"_uuid", "name", "tag", "external_ids"}; }
std::vector<std::string> InterfaceColumns() { return {"name", "type", "options"}; }
std::vector<std::string> BridgeColumns() { return {"name", "ports"}; }

}  // namespace

StatusOr<std::optional<OwnedPort>> FindPort(ovsdb::Transactor& ovsdb, const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb.Transact(
          json::array({ovsdb::Select("Port", ovsdb::WhereEq("name", name), PortColumns()),
                       ovsdb::Select("Interface", ovsdb::WhereEq("name", name), InterfaceColumns()),
                       ovsdb::Select("Bridge", json::array(), BridgeColumns())})));
  const json& ports = results.at(0).at("rows");
  if (ports.empty()) return std::nullopt;
  return ToOwnedPort(ports.at(0), BridgeOfPorts(results.at(2).at("rows")),
                     InterfacesByName(results.at(1).at("rows")));
}

std::optional<OwnedPort> FindPortIn(const ovsdb::Cache& cache, const std::string& name) {
  // By the cache's name index, and the bridges' port sets read in place: on
  // every port change, with thousands of ports (a copy of each set per call
  // was most of the agent's CPU when plugging 4,000).
  const auto [uuid, port] = cache.FindNamed("Port", name);
  if (port == nullptr) return std::nullopt;
  std::string bridge;
  for (const auto& [bridge_uuid, row] : cache.table("Bridge")) {
    const auto ports = row.find("ports");
    if (ports != row.end() && ovsdb::SetHasUuid(*ports, *uuid)) {
      bridge = row.at("name").get<std::string>();
    }
  }
  return MakeOwnedPort(*uuid, *port, std::move(bridge), cache.FindNamed("Interface", name).second);
}

CachedPort LookUpCachedPort(ovsdb::Transactor& ovsdb, const std::string& name) {
  CachedPort out;
  out.cached =
      ovsdb.ReadCache([&](const ovsdb::Cache& cache) { out.port = FindPortIn(cache, name); });
  return out;
}

json WaitPortNameFree(const std::string& name) {
  return json::array(
      {ovsdb::WaitNameAbsent("Port", name), ovsdb::WaitNameAbsent("Interface", name)});
}

json WaitStillOwnedPort(const OwnedPort& port, const std::string& kind) {
  return ovsdb::WaitRows(
      "Port",
      json::array({json::array({"_uuid", "==", ovsdb::Uuid(port.uuid)}),
                   json::array({"external_ids", "includes",
                                ovsdb::Map({{"owner", kOwner}, {"kind", kind}})})}),
      json::array({"name"}), json::array({{{"name", port.name}}}));
}

StatusOr<std::vector<OwnedPort>> ListOwnedPorts(ovsdb::Transactor& ovsdb, const std::string& kind) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb.Transact(json::array({ovsdb::Select("Port", WhereOwned(kind), PortColumns()),
                                  ovsdb::Select("Interface", WhereOwned(kind), InterfaceColumns()),
                                  ovsdb::Select("Bridge", json::array(), BridgeColumns())})));
  const auto bridges = BridgeOfPorts(results.at(2).at("rows"));
  const auto interfaces = InterfacesByName(results.at(1).at("rows"));
  std::vector<OwnedPort> out;
  for (const auto& port : results.at(0).at("rows")) {
    out.push_back(ToOwnedPort(port, bridges, interfaces));
  }
  std::sort(out.begin(), out.end(),
            [](const OwnedPort& a, const OwnedPort& b) { return a.name < b.name; });
  return out;
}

Status CheckRetriedCreate(const OwnedPort& existing, const std::string& kind, bool same,
                          std::string_view what, std::string_view a_what,
                          std::string_view differences) {
  if (!IsOwned(existing.external_ids, kind)) {
    return absl::AlreadyExistsError(fmt::format(
        "name: a port '{}' exists that the agent did not make as {}", existing.name, a_what));
  }
  if (!same) {
    return absl::AlreadyExistsError(fmt::format("name: {} '{}' exists with {} (delete it first)",
                                                what, existing.name, differences));
  }
  return absl::OkStatus();
}

Status DeleteOwnedPort(ovsdb::Transactor& ovsdb, const std::string& kind, const std::string& name) {
  HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName("name", name));
  // The common case, the agent's own port, decided on the monitor cache: no
  // read round trip (at 1,000 ports each such select also read every
  // bridge's whole ports set); the guard makes sure it still is that port.
  if (const CachedPort cached = LookUpCachedPort(ovsdb, name);
      cached.port && IsOwned(cached.port->external_ids, kind)) {
    json operations = json::array({WaitStillOwnedPort(*cached.port, kind)});
    for (json& wait : WaitNoMirrorUses(cached.port->uuid)) operations.push_back(std::move(wait));
    operations.push_back(RemoveFromBridges("ports", cached.port->uuid));
    const Status removed = ovsdb.Transact(operations).status();
    // A failed wait: the port changed since, or a mirror uses it; the
    // server's rows, read below, tell which.
    if (!ovsdb::HasErrorTag(removed, ovsdb::error_tag::kTimedOut)) return removed;
  }
  HVAGENT_ASSIGN_OR_RETURN(const std::optional<OwnedPort> port, FindPort(ovsdb, name));
  if (!port) return absl::NotFoundError(fmt::format("name: no port '{}' on this host", name));
  if (!IsOwned(port->external_ids, kind)) {
    return absl::FailedPreconditionError(
        fmt::format("name: port '{}' is not a {} the agent created; it is left alone", name, kind));
  }
  json operations = WaitNoMirrorUses(port->uuid);
  operations.push_back(RemoveFromBridges("ports", port->uuid));
  return ExplainMirrorWait(ovsdb, ovsdb.Transact(operations).status(), name, port->uuid);
}

namespace {

constexpr const char* kMirrorPortColumns[] = {"select_src_port", "select_dst_port", "output_port"};

}  // namespace

json WaitNoMirrorUses(const std::string& port_uuid) {
  json waits = json::array();
  for (const char* column : kMirrorPortColumns) {
    waits.push_back(ovsdb::WaitRows(
        "Mirror", json::array({json::array({column, "includes", ovsdb::Uuid(port_uuid)})}),
        json::array({"name"}), json::array()));
  }
  return waits;
}

Status ExplainMirrorWait(ovsdb::Transactor& ovsdb, const Status& status,
                         const std::string& port_name, const std::string& port_uuid) {
  if (!ovsdb::HasErrorTag(status, ovsdb::error_tag::kTimedOut)) return status;
  auto mirrors = ovsdb.Transact(json::array({ovsdb::Select(
      "Mirror", json::array(), {"name", "select_src_port", "select_dst_port", "output_port"})}));
  std::vector<std::string> users;
  if (mirrors.ok() && !mirrors->empty()) {
    for (const json& row : (*mirrors)[0].value("rows", json::array())) {
      for (const char* column : kMirrorPortColumns) {
        bool uses = false;
        for (const json& ref : ovsdb::SetElements(row.at(column))) {
          uses = uses || ovsdb::UuidOf(ref) == port_uuid;
        }
        if (uses) {
          users.push_back(fmt::format("'{}' ({})", row.value("name", ""), column));
          break;
        }
      }
    }
  }
  std::string named;
  for (const std::string& user : users) named += (named.empty() ? "" : ", ") + user;
  return absl::FailedPreconditionError(
      fmt::format("name: port '{}' is used by mirror {}; delete the mirror or change it first",
                  port_name, named.empty() ? "(a mirror changed meanwhile)" : named));
}

json AddPortOperations(const std::string& bridge, const std::string& name, json interface_row,
                       json port_row, const std::map<std::string, std::string>& external_ids) {
  interface_row["name"] = name;
  interface_row["external_ids"] = ovsdb::Map(external_ids);
  port_row["name"] = name;
  port_row["interfaces"] = ovsdb::NamedUuid("iface");
  port_row["external_ids"] = ovsdb::Map(external_ids);
  return json::array({
      ovsdb::WaitNamePresent("Bridge", bridge),
      {{"op", "insert"}, {"table", "Interface"}, {"uuid-name", "iface"}, {"row", interface_row}},
      {{"op", "insert"}, {"table", "Port"}, {"uuid-name", "port"}, {"row", port_row}},
      AddToBridge(bridge, "ports", ovsdb::NamedUuid("port")),
  });
}

}  // namespace hvagent::network::rows
