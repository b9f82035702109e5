// Mirrors: validation and the OVSDB transaction.
#include <gtest/gtest.h>

#include "hvagent/network/mirror.h"

namespace hvagent::network {
namespace {

using nlohmann::json;

MirrorSpec Valid() {
  return {.name = "span1",
          .bridge = "br0",
          .select_src_ports = {"tapa"},
          .select_dst_ports = {"tapa"},
          .output_port = "tapmon"};
}

void ExpectInvalid(const MirrorSpec& spec, const std::string& field) {
  const Status s = ValidateMirrorSpec(spec);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_NE(MessageOf(s).find(field), std::string::npos) << s;
}

TEST(MirrorSpecTest, Validation) {
  EXPECT_TRUE(ValidateMirrorSpec(Valid()).ok());
  MirrorSpec vlans_only{
      .name = "v", .bridge = "br0", .select_vlans = {10, 20}, .output_port = "tapmon"};
  EXPECT_TRUE(ValidateMirrorSpec(vlans_only).ok());
  MirrorSpec all{.name = "a", .bridge = "br0", .select_all = true, .output_port = "tapmon"};
  EXPECT_TRUE(ValidateMirrorSpec(all).ok());

  MirrorSpec s = Valid();
  s.select_src_ports.clear();
  s.select_dst_ports.clear();
  ExpectInvalid(s, "a mirror needs a selection");
  s = Valid();
  s.output_port = "";
  ExpectInvalid(s, "output_port:");
  s = Valid();
  s.output_port = "tapa";  // mirroring into a selected port
  ExpectInvalid(s, "output_port:");
  s = Valid();
  s.select_vlans = {4095};
  ExpectInvalid(s, "select_vlans:");
  s = Valid();
  s.name = "-x";
  ExpectInvalid(s, "name:");
}

TEST(MirrorOperationsTest, PortsAreReferencedByUuidAndTheBridgeGuarded) {
  MirrorSpec spec = Valid();
  spec.select_vlans = {10};
  const json ops =
      CreateMirrorOperations(spec, {{"tapa", "11111111-1111-1111-1111-111111111111"},
                                    {"tapmon", "22222222-2222-2222-2222-222222222222"}});
  EXPECT_EQ(ops, json::parse(R"([
    {"op": "wait", "table": "Bridge", "timeout": 0, "where": [["name", "==", "br0"]],
     "columns": ["name"], "until": "==", "rows": [{"name": "br0"}]},
    {"op": "insert", "table": "Mirror", "uuid-name": "mirror",
     "row": {"name": "span1",
             "select_src_port": ["set", [["uuid", "11111111-1111-1111-1111-111111111111"]]],
             "select_dst_port": ["set", [["uuid", "11111111-1111-1111-1111-111111111111"]]],
             "select_vlan": ["set", [10]],
             "select_all": false,
             "output_port": ["uuid", "22222222-2222-2222-2222-222222222222"],
             "external_ids": ["map", [["kind", "mirror"], ["name", "span1"],
                                      ["owner", "hvagent"]]]}},
    {"op": "mutate", "table": "Bridge", "where": [["name", "==", "br0"]],
     "mutations": [["mirrors", "insert", ["set", [["named-uuid", "mirror"]]]]]}
  ])"));
}

}  // namespace
}  // namespace hvagent::network
