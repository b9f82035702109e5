// hvctl's parser against the real command table: the acli lines it accepts and
// the one-line errors for everything it must refuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hvagent/cli/command_line.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/events.pb.h"
#include "hvagent/v1/vm.pb.h"

namespace hvagent::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class CliCommandLineTest : public ::testing::Test {
 protected:
  StatusOr<ParsedCommand> Parse(const std::string& line) {
    StatusOr<std::vector<std::string>> words = SplitLine(line);
    EXPECT_TRUE(words.ok()) << line;
    return ParseCommandLine(table_, *words);
  }
  // The error of a line that must be refused; fails the test if it parses.
  std::string Error(const std::string& line) {
    StatusOr<ParsedCommand> parsed = Parse(line);
    EXPECT_FALSE(parsed.ok()) << line << " parsed";
    if (parsed.ok()) return "";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message = MessageOf(parsed.status());
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }

  const CommandTable table_ = BuildCommandTable();
};

TEST_F(CliCommandLineTest, TheSeedsTrunkedNicLine) {
  StatusOr<ParsedCommand> p =
      Parse("vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30 network=vlan.10");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->spec->name, "vm.nic_create");
  EXPECT_THAT(p->positionals, ElementsAre("fooVM"));
  EXPECT_EQ(p->Enum("vlan_mode"), v1::VLAN_MODE_TRUNKED);
  EXPECT_THAT(p->IntList("trunked_networks"), ElementsAre(10, 20, 30));
  EXPECT_EQ(p->String("network"), "vlan.10");
  EXPECT_FALSE(p->Has("mac"));
}

TEST_F(CliCommandLineTest, TypedValuesOfEveryKind) {
  StatusOr<ParsedCommand> vm = Parse(
      "vm.create web-1 num_vcpus=4 num_cores_per_vcpu=2 memory=4G boot_device=kKernel "
      "kernel=/boot/vmlinuz 'cmdline=console=ttyS0 quiet'");
  ASSERT_TRUE(vm.ok()) << vm.status();
  EXPECT_EQ(vm->Int("num_vcpus"), 4);
  EXPECT_EQ(vm->Size("memory"), 4ULL << 30);
  EXPECT_EQ(vm->Enum("boot_device"), v1::BOOT_DEVICE_KERNEL);
  EXPECT_EQ(vm->String("cmdline"), "console=ttyS0 quiet");  // '=' inside a value is kept

  StatusOr<ParsedCommand> del = Parse("vm.delete web-1 force=yes");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->Bool("force"));
  EXPECT_FALSE(del->Bool("keep_disks"));

  StatusOr<ParsedCommand> nic = Parse("vm.nic_get web-1 52:54:00:AA:BB:CC");
  ASSERT_TRUE(nic.ok());
  EXPECT_THAT(nic->positionals, ElementsAre("web-1", "52:54:00:AA:BB:CC"));
  StatusOr<ParsedCommand> mac = Parse("vm.nic_create web-1 network=vlan.10 mac=52:54:00:AA:BB:CC");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(mac->String("mac"), "52:54:00:aa:bb:cc");

  StatusOr<ParsedCommand> bond =
      Parse("bond.create br0-up members=eth0,eth1 mode=balance-slb lacp=active");
  ASSERT_TRUE(bond.ok()) << bond.status();
  EXPECT_THAT(bond->StringList("members"), ElementsAre("eth0", "eth1"));

  StatusOr<ParsedCommand> watch = Parse("events.watch kinds=kVmLifecycle,kNetwork duration=5");
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_THAT(watch->EnumList("kinds"),
              ElementsAre(v1::EVENT_KIND_VM_LIFECYCLE, v1::EVENT_KIND_NETWORK));
}

TEST_F(CliCommandLineTest, EnumSpellingsAreCaseInsensitive) {
  StatusOr<ParsedCommand> p = Parse("vm.nic_create a network=n vlan_mode=KTRUNKED");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Enum("vlan_mode"), v1::VLAN_MODE_TRUNKED);
}

TEST_F(CliCommandLineTest, UnknownObjectVerbAndKey) {
  EXPECT_EQ(
      Error("vmm.create x"),
      "unknown object 'vmm' in 'vmm.create' (did you mean vm?) (objects: bond, bridge, chain, cvm, "
      "events, host, mirror, net, tunnel, vm)");
  EXPECT_THAT(Error("vm.creat x"),
              HasSubstr("unknown command 'vm.creat' (did you mean vm.create?)"));
  EXPECT_THAT(Error("vm.frobnicate x"), HasSubstr("unknown command 'vm.frobnicate'"));
  EXPECT_THAT(Error("vm.frobnicate x"), Not(HasSubstr("did you mean")));
  EXPECT_THAT(Error("frobnicate"), HasSubstr("unknown command 'frobnicate'"));
  EXPECT_THAT(Error("vm.create web num_vcpu=2 memory=1G"),
              HasSubstr("vm.create: unknown key 'num_vcpu' (did you mean num_vcpus?)"));
  EXPECT_THAT(Error("vm.get web color=red"),
              HasSubstr("vm.get: unknown key 'color' (it takes no keys)"));
  EXPECT_THAT(Error(""), HasSubstr("no command given"));
}

TEST_F(CliCommandLineTest, MalformedValuesNameTheKey) {
  EXPECT_EQ(Error("net.create vlan.10 vlan=4095"),
            "net.create: vlan: must be a whole number from 0 to 4094 (is '4095')");
  EXPECT_THAT(Error("vm.create web num_vcpus=2 memory=lots"),
              HasSubstr("vm.create: memory: must be a size"));
  EXPECT_THAT(Error("vm.nic_create fooVM network=vlan.10 vlan_mode=trunk"),
              HasSubstr("vm.nic_create: vlan_mode: must be one of kAccess, kTrunked (is 'trunk')"));
  EXPECT_THAT(Error("vm.nic_create fooVM network=vlan.10 trunked_networks=10,0"),
              HasSubstr("trunked_networks: every element must be a whole number from 1 to 4094"));
  EXPECT_THAT(Error("vm.nic_create fooVM network=vlan.10 mac=zz:54:00:00:00:01"),
              HasSubstr("mac: must be a MAC address"));
  EXPECT_THAT(Error("vm.delete web force=perhaps"), HasSubstr("force: must be true or false"));
  EXPECT_THAT(Error("events.watch kinds=kVmLifecycle,kVmLifecycle"),
              HasSubstr("kinds: lists 'kVmLifecycle' twice"));
  EXPECT_THAT(Error("events.watch kinds=kNope"), HasSubstr("kinds: must be one of kVmLifecycle"));
  EXPECT_THAT(Error("net.create vlan.10 vlan="), HasSubstr("key 'vlan' has an empty value"));
  EXPECT_THAT(Error("net.create vlan.10 =10"), HasSubstr("'=10' has no key before '='"));
}

TEST_F(CliCommandLineTest, MissingAndSurplusArguments) {
  EXPECT_EQ(Error("vm.create web memory=1G"),
            "vm.create: missing required key num_vcpus=<int> (usage: vm.create NAME "
            "num_vcpus=INT memory=SIZE [num_cores_per_vcpu=INT] [num_threads_per_core=INT] "
            "[machine_type=STRING] [cpu_model_override=STRING] "
            "[boot_device=kDisk|kCdrom|kNetwork|kKernel] [kernel=STRING] "
            "[initrd=STRING] [cmdline=STRING])");
  EXPECT_THAT(Error("vm.nic_create network=vlan.10"), HasSubstr("vm.nic_create: missing NAME"));
  EXPECT_THAT(Error("vm.nic_delete fooVM"), HasSubstr("vm.nic_delete: missing MAC"));
  EXPECT_THAT(Error("vm.get a b"), HasSubstr("vm.get: unexpected argument 'b'"));
  EXPECT_THAT(Error("net.list extra"), HasSubstr("net.list: unexpected argument 'extra'"));
  EXPECT_THAT(Error("vm.list -o json"), HasSubstr("options such as '-o' go before the command"));
}

TEST_F(CliCommandLineTest, DuplicateKeys) {
  EXPECT_EQ(Error("net.create vlan.10 vlan=10 vlan=20"), "net.create: key 'vlan' given twice");
  // Even when both spell the same value.
  EXPECT_THAT(Error("vm.delete web force=true force=true"), HasSubstr("key 'force' given twice"));
}

TEST_F(CliCommandLineTest, TheTableIsWellFormed) {
  for (const CommandSpec& spec : table_.commands()) {
    EXPECT_TRUE(spec.run != nullptr) << spec.name;
    EXPECT_FALSE(spec.summary.empty()) << spec.name;
    for (const KeySpec& key : spec.keys) {
      EXPECT_FALSE(key.help.empty()) << spec.name << " " << key.name;
      EXPECT_EQ(key.name.find_first_of("= ."), std::string::npos) << key.name;
      const bool enumerated = key.type == ValueType::kEnum || key.type == ValueType::kEnumList;
      EXPECT_EQ(enumerated, !key.choices.empty()) << spec.name << " " << key.name;
    }
  }
  // The commands issue 6 asks for.
  for (const char* name :
       {"net.create",     "net.get",        "net.list",    "net.delete",    "vm.create",
        "vm.get",         "vm.list",        "vm.update",   "vm.delete",     "vm.on",
        "vm.off",         "vm.shutdown",    "vm.reboot",   "vm.reset",      "vm.pause",
        "vm.resume",      "vm.nic_create",  "vm.nic_get",  "vm.nic_update", "vm.nic_delete",
        "vm.disk_create", "vm.disk_delete", "host.get",    "bridge.create", "bridge.get",
        "bridge.list",    "bridge.delete",  "bond.create", "bond.get",      "bond.update",
        "bond.delete",    "tunnel.create",  "tunnel.list", "tunnel.delete", "mirror.create",
        "mirror.list",    "mirror.delete",  "events.watch"}) {
    EXPECT_NE(table_.Find(name), nullptr) << name;
  }
}

TEST(CliSplitLineTest, WordsQuotesAndComments) {
  EXPECT_THAT(*SplitLine("  vm.get   web-1 "), ElementsAre("vm.get", "web-1"));
  EXPECT_THAT(*SplitLine("vm.create a 'cmdline=a b' \"x=c \\\"d\\\"\""),
              ElementsAre("vm.create", "a", "cmdline=a b", "x=c \"d\""));
  EXPECT_THAT(*SplitLine("a\\ b c"), ElementsAre("a b", "c"));
  EXPECT_THAT(*SplitLine("net.list # all of them"), ElementsAre("net.list"));
  EXPECT_THAT(*SplitLine("# a comment"), ElementsAre());
  EXPECT_THAT(*SplitLine("a x=#1"), ElementsAre("a", "x=#1"));  // '#' inside a word is kept
  EXPECT_THAT(*SplitLine("''"), ElementsAre(""));
  EXPECT_EQ(MessageOf(SplitLine("vm.get 'web").status()), "unterminated ' quote");
  EXPECT_FALSE(SplitLine("vm.get web\\").ok());
}

TEST(CliClosestMatchTest, OnlyCloseWords) {
  EXPECT_EQ(ClosestMatch("num_vcpu", {"num_vcpus", "memory"}), "num_vcpus");
  EXPECT_EQ(ClosestMatch("memroy", {"num_vcpus", "memory"}), "memory");
  EXPECT_EQ(ClosestMatch("xyz", {"num_vcpus", "memory"}), "");
  EXPECT_EQ(ClosestMatch("ab", {"ac"}), "");  // one edit in two letters is half the word
}

}  // namespace
}  // namespace hvagent::cli
