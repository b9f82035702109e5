// OVS bridges over OVSDB: create (with the bridge's internal port, the host's
// interface on it), get, list, delete. The agent deletes only bridges it
// created (external_ids:owner=hvagent), and never one that still carries VM NICs
// or ports it does not own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kDefaultBridgeName = "br0";

enum class PortKind { kInternal, kTap, kVxlan, kBond, kPatch, kOther };

struct BridgePortInfo {
  std::string name;
  PortKind kind = PortKind::kOther;
  uint32_t tag = 0;  // 0: none
  std::vector<uint32_t> trunks;
  bool agent_owned = false;
};

struct BridgeInfo {
  std::string name;
  std::string datapath_type;          // "system" or "netdev" ("" in OVSDB means system)
  std::vector<BridgePortInfo> ports;  // sorted by name
  bool agent_owned = false;
};

// "system" or "netdev"; anything else is INVALID_ARGUMENT naming `field`.
Status ValidateDatapathType(const std::string& field, const std::string& value);

// The operations that create bridge `name` with its internal port, in one
// transaction that fails if a bridge, port or interface of that name appears
// meanwhile (pure). `uuid_tag` is appended to the operations' uuid-names, so
// that several bridges can be made in one transaction.
nlohmann::json CreateBridgeOperations(const std::string& name, const std::string& datapath_type,
                                      const std::string& uuid_tag = "");
// Removes the agent's bridge `bridge` (its ports and interfaces go with it:
// OVSDB collects unreferenced rows), failing if its ports changed since read.
nlohmann::json DeleteBridgeOperations(const OvsBridgeRow& bridge);

// How `port` shows on its bridge (pure).
BridgePortInfo DescribePort(const SwitchSnapshot& snap, const OvsPortRow& port);
BridgeInfo DescribeBridge(const SwitchSnapshot& snap, const OvsBridgeRow& bridge);

class BridgeManager {
 public:
  // `default_datapath_type`: used when a create names none (config ovs.datapath_type).
  BridgeManager(ovsdb::Transactor& ovsdb, std::string default_datapath_type)
      : ovsdb_(ovsdb), default_datapath_type_(std::move(default_datapath_type)) {}

  // ALREADY_EXISTS if a bridge (or a port or interface) has the name.
  StatusOr<BridgeInfo> Create(const std::string& name, const std::string& datapath_type = "");
  StatusOr<BridgeInfo> Get(const std::string& name);
  StatusOr<std::vector<BridgeInfo>> List();
  // NOT_FOUND if absent; FAILED_PRECONDITION if the agent did not create it, or
  // VM NICs or ports the agent does not own are on it.
  Status Delete(const std::string& name);
  // Whether OVS has a bridge named `name` (whoever made it): one select, no
  // snapshot.
  StatusOr<bool> Exists(const std::string& name);
  // Creates `name` unless a bridge of that name exists (whoever made it, it is
  // then left as it is). Returns whether it created one.
  StatusOr<bool> Ensure(const std::string& name);

  const std::string& default_datapath_type() const { return default_datapath_type_; }

 private:
  ovsdb::Transactor& ovsdb_;
  const std::string default_datapath_type_;
};

}  // namespace hvagent::network
