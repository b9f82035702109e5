// The shell's Tab completion over the real command table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/cli/commands.h"
#include "hvagent/cli/completion.h"

namespace hvagent::cli {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

class CliCompletionTest : public ::testing::Test {
 protected:
  const CommandTable table_ = BuildCommandTable();
};

TEST_F(CliCompletionTest, CommandNames) {
  EXPECT_THAT(
      CompletionCandidates(table_, {}, "vm.nic_"),
      ElementsAre("vm.nic_create", "vm.nic_get", "vm.nic_list", "vm.nic_update", "vm.nic_delete"));
  EXPECT_THAT(CompletionCandidates(table_, {}, "he"), ElementsAre("health", "help"));
  EXPECT_THAT(CompletionCandidates(table_, {"help"}, "net.c"), ElementsAre("net.create"));
  EXPECT_THAT(CompletionCandidates(table_, {}, "zz"), IsEmpty());
}

TEST_F(CliCompletionTest, KeysNotGivenYet) {
  EXPECT_THAT(CompletionCandidates(table_, {"vm.nic_create", "fooVM"}, "vlan"),
              ElementsAre("vlan_mode="));
  const auto keys = CompletionCandidates(table_, {"vm.nic_create", "fooVM", "network=vlan.10"}, "");
  EXPECT_THAT(keys, Contains("trunked_networks="));
  EXPECT_THAT(keys, Not(Contains("network=")));
  EXPECT_THAT(CompletionCandidates(table_, {"vm.nope"}, ""), IsEmpty());
}

TEST_F(CliCompletionTest, EnumAndBoolValues) {
  EXPECT_THAT(CompletionCandidates(table_, {"vm.nic_create", "fooVM"}, "vlan_mode=kT"),
              ElementsAre("vlan_mode=kTrunked"));
  EXPECT_THAT(CompletionCandidates(table_, {"vm.nic_create", "fooVM"}, "type="),
              ElementsAre("type=kNormalNic", "type=kDirectNic", "type=kNetworkFunctionNic"));
  EXPECT_THAT(CompletionCandidates(table_, {"vm.delete", "x"}, "force="),
              ElementsAre("force=true", "force=false"));
  EXPECT_THAT(CompletionCandidates(table_, {"vm.delete", "x"}, "colour="), IsEmpty());
}

}  // namespace
}  // namespace hvagent::cli
