#include "hvagent/daemon/switch_row_changes.h"

#include <algorithm>
#include <map>
#include <string>

#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/network/internal_port.h"
#include "hvagent/network/tunnel.h"
#include "hvagent/ovsdb/datum.h"

namespace hvagent::daemon {

namespace {

bool IsPortDeletion(const ovsdb::RowChange& change) {
  return change.table == "Port" && change.kind == ovsdb::RowChange::Kind::kDelete;
}

// The deleted row's external_ids; empty when the change carries no row.
std::map<std::string, std::string> OldExternalIds(const ovsdb::RowChange& change) {
  if (!change.old.is_object() || !change.old.contains("external_ids")) return {};
  return ovsdb::MapOf(change.old.at("external_ids"));
}

bool IsVmNic(const std::map<std::string, std::string>& ids) {
  return ids.contains(network::kVmUuidKey);
}

// A port the agent hangs on a bridge for a VM or the host: its going
// changes nothing about the bridges themselves.
bool IsLeafPort(const std::map<std::string, std::string>& ids) {
  if (IsVmNic(ids)) return true;
  const auto owner = ids.find(network::kOwnerKey);
  const auto kind = ids.find("kind");
  if (owner == ids.end() || owner->second != network::kOwnerValue || kind == ids.end())
    return false;
  return kind->second == network::kInternalPortKind || kind->second == network::kTunnelKind;
}

}  // namespace

bool DeletesVmNicPort(const std::vector<ovsdb::RowChange>& changes) {
  return std::any_of(changes.begin(), changes.end(), [](const ovsdb::RowChange& change) {
    return IsPortDeletion(change) && IsVmNic(OldExternalIds(change));
  });
}

bool MayUndoBridges(const std::vector<ovsdb::RowChange>& changes) {
  return std::any_of(changes.begin(), changes.end(), [](const ovsdb::RowChange& change) {
    if (change.kind != ovsdb::RowChange::Kind::kDelete) return false;
    if (change.table == "Bridge") return true;
    return change.table == "Port" && !IsLeafPort(OldExternalIds(change));
  });
}

}  // namespace hvagent::daemon
