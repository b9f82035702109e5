// The operation builders shared by the agent's port, tunnel, mirror and QoS
// code (over ovsdb/datum.h's values), and the ownership tags every row it
// creates carries. Private to the network module.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/cache.h"

namespace hvagent::network::rows {

inline constexpr const char* kOwner = "hvagent";

// {owner=hvagent, kind, name} plus `extra`: how a restarted agent recognises
// its rows, and the only rows it changes or deletes.
std::map<std::string, std::string> OwnerTags(const std::string& kind, const std::string& name,
                                             std::map<std::string, std::string> extra = {});

// Rows whose external_ids carry owner=hvagent and kind.
nlohmann::json WhereOwned(const std::string& kind);

// Adds a Port (by uuid-name or uuid) to a bridge's ports / mirrors.
nlohmann::json AddToBridge(const std::string& bridge, const std::string& column,
                           const nlohmann::json& ref);
nlohmann::json RemoveFromBridges(const std::string& column, const std::string& uuid);

bool IsOwned(const std::map<std::string, std::string>& external_ids, const std::string& kind);

// A timed-out bridge wait means the bridge is missing: say so.
Status ExplainBridgeWait(const Status& status, const std::string& bridge);

}  // namespace hvagent::network::rows

// Ports the agent made (internal ports, tunnels): found, listed and deleted
// the same way whatever their kind.
namespace hvagent::ovsdb {
class Transactor;
}  // namespace hvagent::ovsdb

namespace hvagent::network::rows {

struct OwnedPort {
  std::string uuid;
  std::string name;
  std::string bridge;  // "" if no bridge holds it (being deleted)
  uint32_t tag = 0;
  std::map<std::string, std::string> external_ids;
  // Of its Interface row of the same name.
  std::string interface_type;
  std::map<std::string, std::string> options;
};

// The port named `name`, whoever owns it; nullopt if there is none.
StatusOr<std::optional<OwnedPort>> FindPort(ovsdb::Transactor& ovsdb, const std::string& name);
// The same from the monitor cache's rows (pure).
std::optional<OwnedPort> FindPortIn(const ovsdb::Cache& cache, const std::string& name);
// What the transactor's monitor cache says of port `name`, without a round
// trip: `cached` is false when it has no current cache (then ask the server).
// The cache may lag the server: a change decided on it carries a guard
// (WaitPortNameFree, WaitStillOwnedPort) and, when the guard fails, asks the
// server (FindPort) and decides again.
struct CachedPort {
  bool cached = false;
  std::optional<OwnedPort> port;
};
CachedPort LookUpCachedPort(ovsdb::Transactor& ovsdb, const std::string& name);
// Waits that fail the transaction ("timed out") unless no Port and no
// Interface is named `name`.
nlohmann::json WaitPortNameFree(const std::string& name);
// A wait that fails the transaction ("timed out") unless Port `port.uuid`
// still exists, named `port.name` and tagged as the agent's `kind`.
nlohmann::json WaitStillOwnedPort(const OwnedPort& port, const std::string& kind);
// Every port tagged owner=hvagent, kind=`kind`, sorted by name.
StatusOr<std::vector<OwnedPort>> ListOwnedPorts(ovsdb::Transactor& ovsdb, const std::string& kind);
// The same, each made into the manager's spec by `from_row`.
template <typename FromRow>
StatusOr<std::vector<std::invoke_result_t<FromRow, const OwnedPort&>>> ListOwnedPortsAs(
    ovsdb::Transactor& ovsdb, const std::string& kind, FromRow from_row) {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<OwnedPort> ports, ListOwnedPorts(ovsdb, kind));
  std::vector<std::invoke_result_t<FromRow, const OwnedPort&>> specs;
  specs.reserve(ports.size());
  for (const OwnedPort& port : ports) specs.push_back(from_row(port));
  return specs;
}
// For a Create that found `existing` under its name: OK when it is the
// agent's `kind` port and `same` as asked (a retry), else ALREADY_EXISTS.
// `what` names the kind ("tunnel"), `a_what` with its article ("a tunnel"),
// and `differences` what may differ ("another bridge or VNI").
Status CheckRetriedCreate(const OwnedPort& existing, const std::string& kind, bool same,
                          std::string_view what, std::string_view a_what,
                          std::string_view differences);
// Waits (checked once, as the transaction runs) that fail it while a Mirror
// selects or outputs to the Port `port_uuid`: OVSDB's weak references would
// otherwise drop the port from the mirror without a word.
nlohmann::json WaitNoMirrorUses(const std::string& port_uuid);
// After a change guarded by WaitNoMirrorUses failed: FAILED_PRECONDITION
// naming the mirrors that use port `port_name` (any other error as it is).
Status ExplainMirrorWait(ovsdb::Transactor& ovsdb, const Status& status,
                         const std::string& port_name, const std::string& port_uuid);

// INVALID_ARGUMENT for a name no interface can have, NOT_FOUND if there is
// no such port, FAILED_PRECONDITION if it is not the
// agent's `kind` or a mirror uses it; otherwise removes it from its bridge
// (OVSDB then collects the Port and Interface rows).
Status DeleteOwnedPort(ovsdb::Transactor& ovsdb, const std::string& kind, const std::string& name);
// The Interface and Port rows of a new port plus the bridge's reference, in
// one transaction guarded by the bridge's existence.
nlohmann::json AddPortOperations(const std::string& bridge, const std::string& name,
                                 nlohmann::json interface_row, nlohmann::json port_row,
                                 const std::map<std::string, std::string>& external_ids);

}  // namespace hvagent::network::rows
