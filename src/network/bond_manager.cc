#include "hvagent/network/bond_manager.h"

#include <algorithm>
#include <set>

#include "hvagent/network/netlink.h"
#include "hvagent/ovsdb/error.h"
#include "owned_rows.h"

namespace hvagent::network {

namespace {

// A guard `wait` failed (OVSDB answers a wait that does not hold "timed
// out"): something changed between the read and the write.
Status Guarded(Status status, const std::string& what) {
  if (ovsdb::HasErrorTag(status, ovsdb::error_tag::kTimedOut)) {
    return absl::AbortedError(fmt::format(
        "{} changed on the switch while this request ran; nothing was changed, retry", what));
  }
  return status;
}

uint32_t ParseUint(const std::string& text) {
  try {
    return static_cast<uint32_t>(std::stoul(text));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

Status CheckHostNic(const std::string& name) {
  // rtnetlink answers for the calling thread's network namespace; /sys/class/net
  // would show the namespace sysfs was mounted in.
  HVAGENT_ASSIGN_OR_RETURN(NetlinkSocket netlink, NetlinkSocket::Open());
  auto kind = netlink.LinkKind(name);
  if (kind.status().code() == absl::StatusCode::kNotFound) {
    return absl::FailedPreconditionError(
        fmt::format("spec.members: '{}' is not a network interface on this host", name));
  }
  HVAGENT_RETURN_IF_ERROR(kind.status());
  // Virtual devices that are never uplinks: bridges, taps (VM NICs), OVS ports,
  // other bonds.
  static const std::set<std::string> kNotNics = {"bridge", "tun", "openvswitch", "bond", "team"};
  if (kNotNics.contains(*kind)) {
    return absl::FailedPreconditionError(
        fmt::format("spec.members: '{}' is a {} device, not a physical NIC", name, *kind));
  }
  return absl::OkStatus();
}

bool IsBondPort(const OvsPortRow& port) {
  return port.interfaces.size() > 1 || !port.bond_mode.empty() ||
         (port.external_ids.contains(kKindKey) && port.external_ids.at(kKindKey) == kKindBond);
}

BondStatus DescribeBond(const SwitchSnapshot& snap, const OvsPortRow& port) {
  BondStatus out{.name = port.name, .agent_owned = IsAgentOwned(port.external_ids)};
  if (const OvsBridgeRow* bridge = snap.BridgeOfPort(port.uuid)) out.bridge = bridge->name;
  BondSpec& spec = out.spec;
  spec.members = snap.InterfaceNames(port);
  spec.mode = kBondModeNames.From(port.bond_mode).value_or(BondMode::kActiveBackup);
  spec.lacp = kLacpModeNames.From(port.lacp).value_or(LacpMode::kOff);
  const auto config = [&](const char* key) { return MapValue(port.other_config, key); };
  if (config("lacp-time") == "fast") spec.lacp_time = LacpTime::kFast;
  spec.lacp_fallback_active_backup = config("lacp-fallback-ab") == "true";
  spec.rebalance_interval_ms = ParseUint(config("bond-rebalance-interval"));

  const bool lacp_on = spec.lacp != LacpMode::kOff;
  bool negotiated = false;
  std::vector<bool> admin_up;
  for (const std::string& uuid : port.interfaces) {
    const auto it = snap.interfaces.find(uuid);
    if (it == snap.interfaces.end()) continue;
    const OvsInterfaceRow& iface = it->second;
    BondMemberStatus member{.name = iface.name, .carrier = iface.link_state == "up"};
    member.active = !port.bond_active_slave.empty() && iface.mac_in_use == port.bond_active_slave;
    if (lacp_on) {
      const bool current = iface.lacp_current.value_or(false);
      negotiated = negotiated || current;
      member.lacp_state = current ? "current" : "not-current";
    }
    out.members.push_back(std::move(member));
    admin_up.push_back(iface.admin_state == "up");
  }
  out.lacp_status = !lacp_on ? "off" : (negotiated ? "negotiated" : "configured");
  for (size_t i = 0; i < out.members.size(); ++i) {
    BondMemberStatus& member = out.members[i];
    // With LACP, a member carries traffic once its partner information is
    // current; when no partner answers at all, only with fallback to
    // active-backup (OVS then treats the bond as if LACP were off).
    const bool lacp_ok = !lacp_on || member.lacp_state == "current" ||
                         (!negotiated && spec.lacp_fallback_active_backup);
    member.enabled = admin_up[i] && member.carrier && lacp_ok;
    if (member.active) out.active_member = member.name;
  }
  std::sort(out.members.begin(), out.members.end(),
            [](const BondMemberStatus& a, const BondMemberStatus& b) { return a.name < b.name; });
  return out;
}

Status BondManager::CheckMembers(const SwitchSnapshot& snap, const BondSpec& spec,
                                 const OvsPortRow* own_port) const {
  for (const std::string& member : spec.members) {
    if (const OvsInterfaceRow* iface = snap.FindInterface(member)) {
      const OvsPortRow* port = snap.PortOfInterface(iface->uuid);
      if (own_port != nullptr && port != nullptr && port->uuid == own_port->uuid) continue;
      const OvsBridgeRow* bridge = port != nullptr ? snap.BridgeOfPort(port->uuid) : nullptr;
      std::string where;
      if (port != nullptr && IsBondPort(*port)) {
        where = fmt::format("bond '{}'", port->name);
      } else if (port != nullptr) {
        where = fmt::format("port '{}'", port->name);
      } else {
        where = "an interface row";
      }
      if (bridge != nullptr) where += fmt::format(" on bridge '{}'", bridge->name);
      return absl::FailedPreconditionError(fmt::format(
          "spec.members: NIC '{}' is already in {}; a NIC can be in one bond or bridge only",
          member, where));
    }
    HVAGENT_RETURN_IF_ERROR(check_nic_(member));
  }
  return absl::OkStatus();
}

StatusOr<const OvsPortRow*> BondManager::OwnedBond(const SwitchSnapshot& snap,
                                                   const std::string& name) {
  const OvsPortRow* port = snap.FindPort(name);
  if (port == nullptr || !IsBondPort(*port)) {
    return absl::NotFoundError(fmt::format("bond '{}' does not exist", name));
  }
  HVAGENT_RETURN_IF_ERROR(
      CheckAgentOwned(port->external_ids, "bond", name, "changes only its own bonds"));
  return port;
}

StatusOr<BondStatus> BondManager::Create(const std::string& name, const std::string& bridge,
                                         const BondSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateBondSpec(spec));
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  if (snap.FindBridge(bridge) == nullptr) {
    return absl::FailedPreconditionError(
        fmt::format("bridge: '{}' does not exist on this host", bridge));
  }
  if (snap.FindPort(name) != nullptr) {
    return absl::AlreadyExistsError(
        fmt::format("name: a port or bond '{}' already exists on the switch", name));
  }
  HVAGENT_RETURN_IF_ERROR(CheckMembers(snap, spec, nullptr));
  HVAGENT_RETURN_IF_ERROR(Guarded(
      ovsdb_.Transact(CreateBondOperations(name, bridge, spec)).status(), "the bridge or a NIC"));
  return Get(name);
}

StatusOr<BondStatus> BondManager::Get(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  const OvsPortRow* port = snap.FindPort(name);
  if (port == nullptr || !IsBondPort(*port)) {
    return absl::NotFoundError(fmt::format("bond '{}' does not exist", name));
  }
  return DescribeBond(snap, *port);
}

StatusOr<std::vector<BondStatus>> BondManager::List() {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  std::vector<BondStatus> out;
  for (const auto& [uuid, port] : snap.ports) {
    if (IsBondPort(port)) out.push_back(DescribeBond(snap, port));
  }
  std::sort(out.begin(), out.end(),
            [](const BondStatus& a, const BondStatus& b) { return a.name < b.name; });
  return out;
}

StatusOr<BondStatus> BondManager::Update(const std::string& name, const BondSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateBondSpec(spec));
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  HVAGENT_ASSIGN_OR_RETURN(const OvsPortRow* port, OwnedBond(snap, name));
  HVAGENT_RETURN_IF_ERROR(CheckMembers(snap, spec, port));
  HVAGENT_RETURN_IF_ERROR(Guarded(ovsdb_.Transact(UpdateBondOperations(snap, *port, spec)).status(),
                                  "the bond or a NIC"));
  return Get(name);
}

Status BondManager::Delete(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const SwitchSnapshot snap, ReadSnapshot(ovsdb_));
  HVAGENT_ASSIGN_OR_RETURN(const OvsPortRow* port, OwnedBond(snap, name));
  nlohmann::json operations = rows::WaitNoMirrorUses(port->uuid);
  for (nlohmann::json& op : DeleteBondOperations(*port)) operations.push_back(std::move(op));
  return rows::ExplainMirrorWait(ovsdb_, ovsdb_.Transact(operations).status(), name, port->uuid);
}

}  // namespace hvagent::network
