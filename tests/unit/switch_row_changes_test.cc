// Which OVSDB row deletions call for a VM NIC reconcile or the bridges' upkeep.
#include <gtest/gtest.h>

#include "hvagent/daemon/switch_row_changes.h"
#include "hvagent/ovsdb/datum.h"

namespace hvagent::daemon {
namespace {

using nlohmann::json;
using Kind = ovsdb::RowChange::Kind;

ovsdb::RowChange PortDeleted(const std::map<std::string, std::string>& external_ids) {
  return {.table = "Port",
          .uuid = "00000000-0000-0000-0000-000000000001",
          .kind = Kind::kDelete,
          .old = {{"name", "p"}, {"external_ids", ovsdb::Map(external_ids)}}};
}

const std::map<std::string, std::string> kVmNic = {
    {"owner", "hvagent"}, {"vm-uuid", "6d1c1a4e-0000-0000-0000-000000000001"}};
const std::map<std::string, std::string> kInternalPort = {
    {"owner", "hvagent"}, {"kind", "internal-port"}, {"name", "p"}};
const std::map<std::string, std::string> kTunnel = {
    {"owner", "hvagent"}, {"kind", "tunnel"}, {"name", "p"}};

TEST(SwitchRowChangesTest, OnlyAVmNicGoingCallsForAReconcile) {
  EXPECT_TRUE(DeletesVmNicPort({PortDeleted(kInternalPort), PortDeleted(kVmNic)}));
  // The agent's internal ports and tunnels (1,000 deleted in a burst, say).
  EXPECT_FALSE(DeletesVmNicPort({PortDeleted(kInternalPort), PortDeleted(kTunnel)}));
  EXPECT_FALSE(DeletesVmNicPort({PortDeleted({})}));  // somebody else's port
  // A VM NIC's port made or changed: nothing went.
  EXPECT_FALSE(DeletesVmNicPort({{"Port", "u", Kind::kInsert}, {"Port", "u", Kind::kModify}}));
  EXPECT_FALSE(DeletesVmNicPort({{"Port", "u", Kind::kDelete}}));  // no row: cannot tell
}

TEST(SwitchRowChangesTest, BridgesAreLookedAtWhenABridgeOrANonLeafPortGoes) {
  EXPECT_FALSE(
      MayUndoBridges({PortDeleted(kVmNic), PortDeleted(kInternalPort), PortDeleted(kTunnel)}));
  EXPECT_TRUE(MayUndoBridges({PortDeleted(kInternalPort), {"Bridge", "b", Kind::kDelete}}));
  // A patch port of the chain, a bridge's own port, or anybody's.
  EXPECT_TRUE(MayUndoBridges({PortDeleted({{"owner", "hvagent"}, {"kind", "patch"}})}));
  EXPECT_TRUE(MayUndoBridges({PortDeleted({})}));
  EXPECT_TRUE(MayUndoBridges({{"Port", "u", Kind::kDelete}}));  // no row: look
  EXPECT_FALSE(MayUndoBridges({{"Bridge", "b", Kind::kModify}, {"Port", "u", Kind::kInsert}}));
}

}  // namespace
}  // namespace hvagent::daemon
