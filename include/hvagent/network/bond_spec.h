// An uplink bond's desired configuration (OVS bond Port columns), its rules,
// and its translation to OVSDB operations: pure, tested without a server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/enum_map.h"
#include "hvagent/common/status.h"
#include "hvagent/network/bridge_snapshot.h"

namespace hvagent::network {

inline constexpr const char* kDefaultBondName = "br0-up";

enum class BondMode { kActiveBackup, kBalanceSlb, kBalanceTcp };
enum class LacpMode { kOff, kActive, kPassive };
enum class LacpTime { kSlow, kFast };

struct BondSpec {
  std::vector<std::string> members;  // physical NICs
  BondMode mode = BondMode::kActiveBackup;
  LacpMode lacp = LacpMode::kOff;
  LacpTime lacp_time = LacpTime::kSlow;
  bool lacp_fallback_active_backup = false;
  uint32_t rebalance_interval_ms = 0;  // 0: OVS's default, 10000
};

inline constexpr size_t kMinBondMembers = 2;
inline constexpr size_t kMaxBondMembers = 8;
inline constexpr uint32_t kDefaultRebalanceIntervalMs = 10000;

// OVSDB spellings, read both ways (a bond's columns and DescribeBond).
inline constexpr auto kBondModeNames = MakeEnumMap<BondMode, std::string_view>({
    {BondMode::kActiveBackup, "active-backup"},
    {BondMode::kBalanceSlb, "balance-slb"},
    {BondMode::kBalanceTcp, "balance-tcp"},
});
inline constexpr auto kLacpModeNames = MakeEnumMap<LacpMode, std::string_view>({
    {LacpMode::kOff, "off"},
    {LacpMode::kActive, "active"},
    {LacpMode::kPassive, "passive"},
});
const char* BondModeName(BondMode mode);
const char* LacpModeName(LacpMode mode);

// The rules a spec must keep on its own (INVALID_ARGUMENT naming the field):
// 2–8 members, interface names, no duplicates, balance-tcp only with LACP,
// rebalance interval 0 or 1000–10000000 ms, LACP options only with LACP.
Status ValidateBondSpec(const BondSpec& spec);

// The bond Port's columns for `spec` (bond_mode, lacp, other_config).
nlohmann::json BondPortColumns(const BondSpec& spec);

// Creates bond `name` on `bridge`: member Interfaces and the Port in one
// transaction, which fails if the bridge is gone or the bond name or a member
// appeared meanwhile.
nlohmann::json CreateBondOperations(const std::string& name, const std::string& bridge,
                                    const BondSpec& spec);

// Changes bond `port` to `spec` in place, in one transaction: members kept keep
// their Interface rows, new ones are inserted, removed ones are dropped from the
// Port (OVSDB collects them). Fails if the Port's members changed since `snap`.
nlohmann::json UpdateBondOperations(const SwitchSnapshot& snap, const OvsPortRow& port,
                                    const BondSpec& spec);

// Removes bond `port` from its bridge (its Interfaces go with it).
nlohmann::json DeleteBondOperations(const OvsPortRow& port);

}  // namespace hvagent::network
