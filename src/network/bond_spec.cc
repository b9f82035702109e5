#include "hvagent/network/bond_spec.h"

#include <set>

#include "hvagent/ovsdb/datum.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

// Linux interface names (as api/validation, which network must not depend on).
bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

json MemberRow(const std::string& bond, const std::string& member) {
  return {{"name", member},
          {"external_ids", ovsdb::Map(OwnedIds(kKindBondMember, {{"bond", bond}}))}};
}

}  // namespace

const char* BondModeName(BondMode mode) { return kBondModeNames.To(mode)->data(); }

const char* LacpModeName(LacpMode mode) { return kLacpModeNames.To(mode)->data(); }

Status ValidateBondSpec(const BondSpec& spec) {
  if (spec.members.size() < kMinBondMembers || spec.members.size() > kMaxBondMembers) {
    return absl::InvalidArgumentError(
        fmt::format("spec.members: a bond needs {} to {} physical NICs (has {})", kMinBondMembers,
                    kMaxBondMembers, spec.members.size()));
  }
  std::set<std::string> seen;
  for (const std::string& m : spec.members) {
    if (!IsInterfaceName(m)) {
      return absl::InvalidArgumentError(fmt::format(
          "spec.members: '{}' is not an interface name (1–15 characters [A-Za-z0-9_.-])", m));
    }
    if (!seen.insert(m).second) {
      return absl::InvalidArgumentError(
          fmt::format("spec.members: '{}' is listed twice; each NIC joins a bond once", m));
    }
  }
  if (spec.mode == BondMode::kBalanceTcp && spec.lacp == LacpMode::kOff) {
    return absl::InvalidArgumentError(
        "spec.mode: balance-tcp needs LACP (spec.lacp active or passive)");
  }
  if (spec.lacp == LacpMode::kOff &&
      (spec.lacp_time == LacpTime::kFast || spec.lacp_fallback_active_backup)) {
    return absl::InvalidArgumentError(
        "spec.lacp_time, spec.lacp_fallback_active_backup: only with LACP (spec.lacp active or "
        "passive)");
  }
  if (spec.rebalance_interval_ms != 0 &&
      (spec.rebalance_interval_ms < 1000 || spec.rebalance_interval_ms > 10000000)) {
    return absl::InvalidArgumentError(
        fmt::format("spec.rebalance_interval_ms: must be 0 (10000) or 1000–10000000 (is {})",
                    spec.rebalance_interval_ms));
  }
  return absl::OkStatus();
}

json BondPortColumns(const BondSpec& spec) {
  ExternalIds other_config;
  if (spec.lacp != LacpMode::kOff) {
    other_config["lacp-time"] = spec.lacp_time == LacpTime::kFast ? "fast" : "slow";
    other_config["lacp-fallback-ab"] = spec.lacp_fallback_active_backup ? "true" : "false";
  }
  if (spec.mode != BondMode::kActiveBackup) {
    const uint32_t interval =
        spec.rebalance_interval_ms == 0 ? kDefaultRebalanceIntervalMs : spec.rebalance_interval_ms;
    other_config["bond-rebalance-interval"] = std::to_string(interval);
  }
  return {{"bond_mode", BondModeName(spec.mode)},
          {"lacp", LacpModeName(spec.lacp)},
          {"other_config", ovsdb::Map(other_config)}};
}

json CreateBondOperations(const std::string& name, const std::string& bridge,
                          const BondSpec& spec) {
  json ops = json::array();
  ops.push_back(ovsdb::WaitNamePresent("Bridge", bridge));
  ops.push_back(ovsdb::WaitNameAbsent("Port", name));
  std::vector<json> members;
  for (size_t i = 0; i < spec.members.size(); ++i) {
    const std::string ref = fmt::format("member{}", i);
    ops.push_back(ovsdb::WaitNameAbsent("Interface", spec.members[i]));
    ops.push_back({{"op", "insert"},
                   {"table", "Interface"},
                   {"uuid-name", ref},
                   {"row", MemberRow(name, spec.members[i])}});
    members.push_back(ovsdb::NamedUuid(ref));
  }
  json port = BondPortColumns(spec);
  port["name"] = name;
  port["interfaces"] = ovsdb::Set(members);
  port["external_ids"] = ovsdb::Map(OwnedIds(kKindBond, {{"bridge", bridge}}));
  ops.push_back({{"op", "insert"}, {"table", "Port"}, {"uuid-name", "bond"}, {"row", port}});
  ops.push_back(
      {{"op", "mutate"},
       {"table", "Bridge"},
       {"where", ovsdb::WhereEq("name", bridge)},
       {"mutations",
        json::array({json::array({"ports", "insert", ovsdb::Set({ovsdb::NamedUuid("bond")})})})}});
  return ops;
}

json UpdateBondOperations(const SwitchSnapshot& snap, const OvsPortRow& port,
                          const BondSpec& spec) {
  json ops = json::array();
  // The members read are still the members: nobody changed the bond meanwhile.
  ops.push_back(ovsdb::WaitRows("Port", ovsdb::WhereUuid(port.uuid), json::array({"interfaces"}),
                                json::array({{{"interfaces", ovsdb::UuidSet(port.interfaces)}}})));
  std::vector<json> members;
  for (size_t i = 0; i < spec.members.size(); ++i) {
    const std::string& name = spec.members[i];
    const OvsInterfaceRow* existing = nullptr;
    for (const std::string& uuid : port.interfaces) {
      const auto it = snap.interfaces.find(uuid);
      if (it != snap.interfaces.end() && it->second.name == name) existing = &it->second;
    }
    if (existing != nullptr) {
      members.push_back(ovsdb::Uuid(existing->uuid));
      continue;
    }
    const std::string ref = fmt::format("member{}", i);
    ops.push_back(ovsdb::WaitNameAbsent("Interface", name));
    ops.push_back({{"op", "insert"},
                   {"table", "Interface"},
                   {"uuid-name", ref},
                   {"row", MemberRow(port.name, name)}});
    members.push_back(ovsdb::NamedUuid(ref));
  }
  json row = BondPortColumns(spec);
  row["interfaces"] = ovsdb::Set(members);
  ops.push_back(
      {{"op", "update"}, {"table", "Port"}, {"where", ovsdb::WhereUuid(port.uuid)}, {"row", row}});
  return ops;
}

json DeleteBondOperations(const OvsPortRow& port) {
  return json::array(
      {{{"op", "mutate"},
        {"table", "Bridge"},
        {"where", json::array({json::array({"ports", "includes", ovsdb::Uuid(port.uuid)})})},
        {"mutations",
         json::array({json::array({"ports", "delete", ovsdb::UuidSet({port.uuid})})})}}});
}

}  // namespace hvagent::network
