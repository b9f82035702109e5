#include "hvagent/network/mirror.h"

#include <algorithm>
#include <set>

#include "hvagent/common/names.h"
#include "hvagent/ovsdb/datum.h"
#include "owned_rows.h"

namespace hvagent::network {

using nlohmann::json;

namespace {

std::vector<std::string> Uuids(const std::vector<std::string>& names,
                               const std::map<std::string, std::string>& port_uuids) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& name : names) out.push_back(port_uuids.at(name));
  return out;
}

// Every port name the spec refers to, once each.
std::vector<std::string> PortNames(const MirrorSpec& spec) {
  std::set<std::string> names(spec.select_src_ports.begin(), spec.select_src_ports.end());
  names.insert(spec.select_dst_ports.begin(), spec.select_dst_ports.end());
  names.insert(spec.output_port);
  return {names.begin(), names.end()};
}

std::vector<std::string> Names(const json& set, const std::map<std::string, std::string>& names) {
  std::vector<std::string> out;
  for (const auto& ref : ovsdb::SetElements(set)) {
    const auto it = names.find(ovsdb::UuidOf(ref));
    out.push_back(it == names.end() ? ovsdb::UuidOf(ref) : it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Sorted copies: OVSDB keeps sets sorted by value, so a spec read back compares
// equal to the one asked for only after normalising both.
MirrorSpec Normalised(MirrorSpec spec) {
  std::sort(spec.select_src_ports.begin(), spec.select_src_ports.end());
  std::sort(spec.select_dst_ports.begin(), spec.select_dst_ports.end());
  std::sort(spec.select_vlans.begin(), spec.select_vlans.end());
  return spec;
}

Status ValidateMirrorName(const std::string& name) {
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos ||
      name[0] == '.' || name[0] == '-' || name[0] == '_') {
    return absl::InvalidArgumentError(fmt::format(
        "name: '{}' must be 1–64 characters [A-Za-z0-9_.-], starting with a letter or digit",
        name));
  }
  return absl::OkStatus();
}

}  // namespace

Status ValidateMirrorSpec(const MirrorSpec& spec) {
  Status status = ValidateMirrorName(spec.name);
  status.Update(ValidateInterfaceName("bridge", spec.bridge));
  for (const auto& port : spec.select_src_ports) {
    status.Update(ValidateInterfaceName("select_src_ports", port));
  }
  for (const auto& port : spec.select_dst_ports) {
    status.Update(ValidateInterfaceName("select_dst_ports", port));
  }
  for (const uint32_t vlan : spec.select_vlans) {
    if (vlan == 0 || vlan > 4094) {
      status.Update(absl::InvalidArgumentError(
          fmt::format("select_vlans: {} must be a VLAN id 1–4094", vlan)));
    }
  }
  if (!spec.select_all && spec.select_src_ports.empty() && spec.select_dst_ports.empty() &&
      spec.select_vlans.empty()) {
    status.Update(absl::InvalidArgumentError(
        "select_src_ports, select_dst_ports, select_vlans, select_all: a mirror needs a "
        "selection (or select_all)"));
  }
  status.Update(ValidateInterfaceName("output_port", spec.output_port));
  const auto selected = [&](const std::vector<std::string>& ports) {
    return std::find(ports.begin(), ports.end(), spec.output_port) != ports.end();
  };
  if (selected(spec.select_src_ports) || selected(spec.select_dst_ports)) {
    status.Update(absl::InvalidArgumentError(fmt::format(
        "output_port: '{}' cannot also be a selected port (it would mirror its own copies)",
        spec.output_port)));
  }
  return status;
}

json CreateMirrorOperations(const MirrorSpec& spec,
                            const std::map<std::string, std::string>& port_uuids) {
  json row = {{"name", spec.name},
              {"select_src_port", ovsdb::UuidSet(Uuids(spec.select_src_ports, port_uuids))},
              {"select_dst_port", ovsdb::UuidSet(Uuids(spec.select_dst_ports, port_uuids))},
              {"select_vlan", ovsdb::IntSet(spec.select_vlans)},
              {"select_all", spec.select_all},
              {"output_port", ovsdb::Uuid(port_uuids.at(spec.output_port))},
              {"external_ids", ovsdb::Map(rows::OwnerTags(kMirrorKind, spec.name))}};
  return json::array({
      ovsdb::WaitNamePresent("Bridge", spec.bridge),
      {{"op", "insert"}, {"table", "Mirror"}, {"uuid-name", "mirror"}, {"row", row}},
      rows::AddToBridge(spec.bridge, "mirrors", ovsdb::NamedUuid("mirror")),
  });
}

Status MirrorManager::Create(const MirrorSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateMirrorSpec(spec));
  const std::vector<std::string> names = PortNames(spec);
  json reads = json::array(
      {ovsdb::Select("Mirror", ovsdb::WhereEq("name", spec.name), {"_uuid", "external_ids"}),
       ovsdb::Select("Bridge", ovsdb::WhereEq("name", spec.bridge), {"ports"})});
  for (const auto& name : names) {
    reads.push_back(ovsdb::Select("Port", ovsdb::WhereEq("name", name), {"_uuid"}));
  }
  HVAGENT_ASSIGN_OR_RETURN(const json results, ovsdb_.Transact(reads));
  const json& mirrors = results.at(0).at("rows");
  if (!mirrors.empty()) {
    if (!rows::IsOwned(ovsdb::MapOf(mirrors.at(0).at("external_ids")), kMirrorKind)) {
      return absl::AlreadyExistsError(
          fmt::format("name: a mirror '{}' exists that the agent did not make", spec.name));
    }
    HVAGENT_ASSIGN_OR_RETURN(const auto all, List());
    for (const auto& mirror : all) {
      if (mirror.name == spec.name && mirror == Normalised(spec)) return absl::OkStatus();
    }
    return absl::AlreadyExistsError(fmt::format(
        "name: mirror '{}' exists with another selection (delete it first)", spec.name));
  }
  const json& bridges = results.at(1).at("rows");
  if (bridges.empty()) {
    return absl::FailedPreconditionError(
        fmt::format("bridge: '{}' does not exist on this host", spec.bridge));
  }
  std::set<std::string> on_bridge;
  for (const auto& ref : ovsdb::SetElements(bridges.at(0).at("ports"))) {
    on_bridge.insert(ovsdb::UuidOf(ref));
  }
  std::map<std::string, std::string> port_uuids;
  for (size_t i = 0; i < names.size(); ++i) {
    const json& found = results.at(2 + i).at("rows");
    if (found.empty()) {
      return absl::FailedPreconditionError(
          fmt::format("port '{}' does not exist on this host", names[i]));
    }
    const std::string uuid = ovsdb::UuidOf(found.at(0).at("_uuid"));
    if (on_bridge.count(uuid) == 0) {
      return absl::FailedPreconditionError(
          fmt::format("port '{}' is not on bridge '{}'", names[i], spec.bridge));
    }
    port_uuids[names[i]] = uuid;
  }
  return rows::ExplainBridgeWait(ovsdb_.Transact(CreateMirrorOperations(spec, port_uuids)).status(),
                                 spec.bridge);
}

StatusOr<std::vector<MirrorSpec>> MirrorManager::List() {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results, ovsdb_.Transact(json::array(
                              {ovsdb::Select("Mirror", rows::WhereOwned(kMirrorKind),
                                             {"_uuid", "name", "select_src_port", "select_dst_port",
                                              "select_vlan", "select_all", "output_port"}),
                               ovsdb::Select("Port", json::array(), {"_uuid", "name"}),
                               ovsdb::Select("Bridge", json::array(), {"name", "mirrors"})})));
  std::map<std::string, std::string> port_names;
  for (const auto& port : results.at(1).at("rows")) {
    port_names[ovsdb::UuidOf(port.at("_uuid"))] = port.at("name").get<std::string>();
  }
  std::map<std::string, std::string> bridge_of;
  for (const auto& bridge : results.at(2).at("rows")) {
    for (const auto& ref : ovsdb::SetElements(bridge.at("mirrors"))) {
      bridge_of[ovsdb::UuidOf(ref)] = bridge.at("name").get<std::string>();
    }
  }
  std::vector<MirrorSpec> out;
  for (const auto& row : results.at(0).at("rows")) {
    MirrorSpec spec{.name = row.at("name").get<std::string>(),
                    .select_src_ports = Names(row.at("select_src_port"), port_names),
                    .select_dst_ports = Names(row.at("select_dst_port"), port_names),
                    .select_all = row.at("select_all").get<bool>()};
    if (const auto it = bridge_of.find(ovsdb::UuidOf(row.at("_uuid"))); it != bridge_of.end()) {
      spec.bridge = it->second;
    }
    for (const auto& vlan : ovsdb::SetElements(row.at("select_vlan"))) {
      spec.select_vlans.push_back(vlan.get<uint32_t>());
    }
    std::sort(spec.select_vlans.begin(), spec.select_vlans.end());
    const auto output = ovsdb::SetElements(row.at("output_port"));
    if (output.size() == 1) {
      const auto it = port_names.find(ovsdb::UuidOf(output[0]));
      if (it != port_names.end()) spec.output_port = it->second;
    }
    out.push_back(std::move(spec));
  }
  std::sort(out.begin(), out.end(),
            [](const MirrorSpec& a, const MirrorSpec& b) { return a.name < b.name; });
  return out;
}

Status MirrorManager::Delete(const std::string& name) {
  HVAGENT_RETURN_IF_ERROR(ValidateMirrorName(name));
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb_.Transact(json::array(
          {ovsdb::Select("Mirror", ovsdb::WhereEq("name", name), {"_uuid", "external_ids"})})));
  const json& found = results.at(0).at("rows");
  if (found.empty()) return absl::NotFoundError(fmt::format("name: no mirror '{}'", name));
  if (!rows::IsOwned(ovsdb::MapOf(found.at(0).at("external_ids")), kMirrorKind)) {
    return absl::FailedPreconditionError(
        fmt::format("name: mirror '{}' was not made by the agent; it is left alone", name));
  }
  // Mirror rows are not roots: dropping the bridge's reference deletes them.
  return ovsdb_
      .Transact(
          json::array({rows::RemoveFromBridges("mirrors", ovsdb::UuidOf(found.at(0).at("_uuid")))}))
      .status();
}

}  // namespace hvagent::network
