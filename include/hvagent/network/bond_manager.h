// Uplink bonds (br0-up on br0 by default) over OVSDB: create, get with status,
// list, update in place, delete. Every refusal (a member that is not a NIC of
// this host, one already in a bond or bridge, a bad spec) is decided before
// anything is written, and the write itself is one guarded transaction.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/network/bond_spec.h"
#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

struct BondMemberStatus {
  std::string name;
  // Up and, when LACP negotiates, in the aggregate (derived from OVSDB:
  // admin_state, link_state, lacp_current).
  bool enabled = false;
  bool carrier = false;  // link_state up
  bool active = false;   // carries the bond's traffic (Port.bond_active_slave)
  // "" (LACP off), "current" (partner information current) or "not-current".
  std::string lacp_state;
};

struct BondStatus {
  std::string name;
  std::string bridge;
  BondSpec spec;
  std::vector<BondMemberStatus> members;  // sorted by name
  std::string active_member;
  // "off", "configured" (LACP runs, no partner answers: with fallback the bond
  // runs active-backup) or "negotiated".
  std::string lacp_status;
  bool agent_owned = false;
};

// OK when `name` can be a bond member: a network interface where the agent
// runs (its network namespace) that is a NIC, not a bridge, tap, OVS port or
// bond; FAILED_PRECONDITION naming the rule otherwise. The real one asks the
// kernel over rtnetlink (veth pairs pass: they stand in for NICs in tests).
using NicCheck = std::function<Status(const std::string& name)>;
Status CheckHostNic(const std::string& name);

// The spec and status of bond `port` as OVSDB shows it (pure).
BondStatus DescribeBond(const SwitchSnapshot& snap, const OvsPortRow& port);
// Whether `port` is a bond: several interfaces or a bond mode.
bool IsBondPort(const OvsPortRow& port);

class BondManager {
 public:
  explicit BondManager(ovsdb::Transactor& ovsdb, NicCheck check_nic = CheckHostNic)
      : ovsdb_(ovsdb), check_nic_(std::move(check_nic)) {}

  // INVALID_ARGUMENT for a bad spec; FAILED_PRECONDITION for a missing bridge,
  // an unknown NIC or one already on the switch; ALREADY_EXISTS for the name.
  StatusOr<BondStatus> Create(const std::string& name, const std::string& bridge,
                              const BondSpec& spec);
  StatusOr<BondStatus> Get(const std::string& name);
  StatusOr<std::vector<BondStatus>> List();
  // The whole new spec, applied in one transaction; refusals as Create.
  // FAILED_PRECONDITION for a bond the agent did not create.
  StatusOr<BondStatus> Update(const std::string& name, const BondSpec& spec);
  Status Delete(const std::string& name);

 private:
  // Members must be NICs of this host, and on the switch only as members of
  // `own_port` (null on create).
  Status CheckMembers(const SwitchSnapshot& snap, const BondSpec& spec,
                      const OvsPortRow* own_port) const;
  // The owned bond `name`, or NOT_FOUND / FAILED_PRECONDITION.
  static StatusOr<const OvsPortRow*> OwnedBond(const SwitchSnapshot& snap, const std::string& name);

  ovsdb::Transactor& ovsdb_;
  const NicCheck check_nic_;
};

}  // namespace hvagent::network
