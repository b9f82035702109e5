// VmService's conversions (api/vm_convert.cc): a spec survives the round trip
// spec → VmConfig → Vm unchanged, refusals name their field, and power states
// map one to one.
#include "hvagent/api/vm_convert.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace hvagent::api {
namespace {

using ::testing::StartsWith;

// A spec as the agent reports it back: every field it fills set explicitly.
v1::VmSpec FullSpec() {
  v1::VmSpec spec;
  spec.set_name("fooVM");
  spec.set_num_vcpus(4);
  spec.set_num_cores_per_vcpu(2);
  spec.set_num_threads_per_core(1);
  spec.set_memory_bytes(2ULL << 30);
  spec.set_machine_type("q35");
  spec.mutable_boot()->set_device(v1::BOOT_DEVICE_KERNEL);
  spec.mutable_boot()->set_kernel_path("/boot/vmlinuz");
  spec.mutable_boot()->set_initrd_path("/boot/initrd.img");
  spec.mutable_boot()->set_kernel_cmdline("console=ttyS0");
  v1::NicSpec* access = spec.add_nics();
  access->set_network("vlan.10");
  access->set_mac("52:54:00:00:00:01");
  access->set_model("virtio");
  access->set_vlan_mode(v1::VLAN_MODE_ACCESS);
  access->set_type(v1::NIC_TYPE_NORMAL);
  access->mutable_qos()->set_egress_rate_kbps(10000);
  v1::NicSpec* trunk = spec.add_nics();
  trunk->set_network("vlan.10");
  trunk->set_mac("52:54:00:00:00:02");
  trunk->set_model("e1000");
  trunk->set_vlan_mode(v1::VLAN_MODE_TRUNKED);
  trunk->add_trunked_vlans(10);
  trunk->add_trunked_vlans(20);
  trunk->add_trunked_vlans(30);
  trunk->set_type(v1::NIC_TYPE_NORMAL);
  trunk->mutable_qos()->set_ingress_rate_kbps(5000);
  trunk->mutable_qos()->set_ingress_burst_kb(500);
  v1::DiskSpec* created = spec.add_disks();
  created->set_bus(v1::DISK_BUS_SCSI);
  created->set_format(v1::DISK_FORMAT_QCOW2);
  created->set_create_size_bytes(1ULL << 30);
  v1::DiskSpec* file = spec.add_disks();
  file->set_bus(v1::DISK_BUS_VIRTIO);
  file->set_format(v1::DISK_FORMAT_RAW);
  file->set_file_path("/var/lib/images/data.raw");
  v1::DiskSpec* block = spec.add_disks();
  block->set_bus(v1::DISK_BUS_SATA);
  block->set_format(v1::DISK_FORMAT_RAW);
  block->set_block_device("/dev/sdz");
  v1::DiskSpec* cdrom = spec.add_disks();
  cdrom->set_bus(v1::DISK_BUS_IDE);
  cdrom->set_format(v1::DISK_FORMAT_RAW);
  cdrom->set_cdrom(true);
  cdrom->set_read_only(true);
  cdrom->set_file_path("/var/lib/images/install.iso");
  (*spec.mutable_labels()->mutable_entries())["tier"] = "db";
  return spec;
}

TEST(VmConvertTest, SpecSurvivesTheRoundTripThroughVmConfig) {
  const v1::VmSpec in = FullSpec();
  auto config = VmConfigFromSpec(in);
  ASSERT_TRUE(config.ok()) << config.status();
  // What the manager fills in before it reports a VM.
  config->uuid = "3f2a91c0-0000-4000-8000-000000000001";
  for (compute::NicConfig& nic : config->nics) nic.tap = "hvt" + nic.mac.substr(15);
  for (compute::DiskConfig& disk : config->disks) {
    if (disk.agent_created) disk.path = "/var/lib/hvagent/disks/x.qcow2";
  }
  v1::Vm out;
  VmStatusToProto({.config = *config, .state = libvirt::DomainState::kShutOff}, &out);
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(in, out.spec())) << diff;
  EXPECT_EQ(out.power_state(), v1::POWER_STATE_OFF);
  ASSERT_EQ(out.nics_size(), 2);
  EXPECT_EQ(out.nics(1).tap(), "hvt02");
  ASSERT_EQ(out.disks_size(), 4);
  EXPECT_EQ(out.disks(0).path(), "/var/lib/hvagent/disks/x.qcow2");
  EXPECT_TRUE(out.disks(0).agent_created());
  EXPECT_EQ(out.disks(2).path(), "/dev/sdz");
}

TEST(VmConvertTest, DefaultsAreFilledOnTheWayIn) {
  v1::VmSpec in;
  in.set_name("small");
  in.set_num_vcpus(1);
  in.add_nics()->set_network("vlan.10");
  auto config = VmConfigFromSpec(in);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cores_per_socket, 1u);
  EXPECT_EQ(config->threads_per_core, 1u);
  EXPECT_EQ(config->boot, compute::BootDevice::kDisk);
  ASSERT_EQ(config->nics.size(), 1u);
  EXPECT_EQ(config->nics[0].model, "virtio");
  EXPECT_EQ(config->nics[0].vlan_mode, compute::VlanMode::kAccess);
}

TEST(VmConvertTest, RefusalsNameTheirField) {
  struct Case {
    const char* what;
    void (*mutate)(v1::VmSpec&);
    absl::StatusCode code;
    const char* field;
  };
  const Case cases[] = {
      {"no name", [](v1::VmSpec& s) { s.clear_name(); }, absl::StatusCode::kInvalidArgument,
       "spec.name: "},
      {"no vCPU", [](v1::VmSpec& s) { s.set_num_vcpus(0); }, absl::StatusCode::kInvalidArgument,
       "spec.num_vcpus: "},
      {"bad network name", [](v1::VmSpec& s) { s.mutable_nics(0)->set_network("-bad"); },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].network: "},
      {"trunks on an access NIC", [](v1::VmSpec& s) { s.mutable_nics(0)->add_trunked_vlans(20); },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].trunked_vlans: "},
      {"a role on a normal NIC",
       [](v1::VmSpec& s) {
         s.mutable_nics(1)->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_TAP);
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[1].network_function_role: "},
      {"a role on a direct NIC",
       [](v1::VmSpec& s) {
         s.mutable_nics(0)->set_type(v1::NIC_TYPE_DIRECT);
         s.mutable_nics(0)->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS);
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].network_function_role: "},
      {"a network-function NIC without a role",
       [](v1::VmSpec& s) {
         s.mutable_nics(0)->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
         s.mutable_nics(0)->clear_network();
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].network_function_role: "},
      {"a network-function NIC on a network",
       [](v1::VmSpec& s) {
         s.mutable_nics(0)->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
         s.mutable_nics(0)->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_EGRESS);
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].network: "},
      {"a trunked network-function NIC",
       [](v1::VmSpec& s) {
         s.mutable_nics(1)->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
         s.mutable_nics(1)->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_EGRESS);
         s.mutable_nics(1)->clear_network();
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[1].vlan_mode: "},
      {"an unknown role",
       [](v1::VmSpec& s) {
         s.mutable_nics(0)->set_network_function_role(static_cast<v1::NetworkFunctionNicRole>(99));
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].network_function_role: 99 is not a"},
      {"burst without a rate",
       [](v1::VmSpec& s) {
         s.mutable_nics(0)->mutable_qos()->Clear();
         s.mutable_nics(0)->mutable_qos()->set_ingress_burst_kb(10);
       },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].qos."},
      {"a tiny disk", [](v1::VmSpec& s) { s.mutable_disks(0)->set_create_size_bytes(4096); },
       absl::StatusCode::kInvalidArgument, "spec.disks[0].create_size_bytes: "},
      {"a disk without a source", [](v1::VmSpec& s) { s.mutable_disks(1)->clear_file_path(); },
       absl::StatusCode::kInvalidArgument, "spec.disks[1]: "},
      {"an unknown boot device",
       [](v1::VmSpec& s) { s.mutable_boot()->set_device(static_cast<v1::BootDevice>(99)); },
       absl::StatusCode::kInvalidArgument, "spec.boot.device: 99 is not a value"},
      {"an unknown VLAN mode",
       [](v1::VmSpec& s) { s.mutable_nics(0)->set_vlan_mode(static_cast<v1::VlanMode>(99)); },
       absl::StatusCode::kInvalidArgument, "spec.nics[0].vlan_mode: 99 is not a value"},
      {"an unknown NIC type",
       [](v1::VmSpec& s) { s.mutable_nics(1)->set_type(static_cast<v1::NicType>(99)); },
       absl::StatusCode::kInvalidArgument, "spec.nics[1].type: 99 is not a value"},
      {"an unknown disk bus",
       [](v1::VmSpec& s) { s.mutable_disks(1)->set_bus(static_cast<v1::DiskBus>(99)); },
       absl::StatusCode::kInvalidArgument, "spec.disks[1].bus: 99 is not a value"},
      {"an unknown disk format",
       [](v1::VmSpec& s) { s.mutable_disks(2)->set_format(static_cast<v1::DiskFormat>(99)); },
       absl::StatusCode::kInvalidArgument, "spec.disks[2].format: 99 is not a value"},
      {"a created cdrom",
       [](v1::VmSpec& s) { s.mutable_disks(3)->set_create_size_bytes(1ULL << 30); },
       absl::StatusCode::kInvalidArgument, "spec.disks[3].create_size_bytes: "},
  };
  for (const Case& c : cases) {
    v1::VmSpec spec = FullSpec();
    c.mutate(spec);
    auto config = VmConfigFromSpec(spec);
    ASSERT_FALSE(config.ok()) << c.what;
    EXPECT_EQ(config.status().code(), c.code) << c.what << ": " << config.status();
    EXPECT_THAT(std::string(config.status().message()), StartsWith(c.field)) << c.what;
  }
}

TEST(VmConvertTest, NicTypesAndRolesRoundTripAndNameTheirBridge) {
  v1::VmSpec in = FullSpec();
  in.mutable_nics(0)->set_type(v1::NIC_TYPE_DIRECT);
  v1::NicSpec* processor = in.add_nics();
  processor->set_mac("52:54:00:00:00:03");
  processor->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);
  processor->set_network_function_role(v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS);
  auto config = VmConfigFromSpec(in);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->nics.size(), 3u);
  EXPECT_EQ(config->nics[0].type, NicType::kDirect);
  EXPECT_EQ(config->nics[1].type, NicType::kNormal);
  EXPECT_EQ(config->nics[1].role, NetworkFunctionRole::kNone);
  EXPECT_EQ(config->nics[2].type, NicType::kNetworkFunction);
  EXPECT_EQ(config->nics[2].role, NetworkFunctionRole::kIngress);
  // As the VM manager resolves them: both networks on br0, none for the processor.
  config->nics[0].bridge = "br0";
  config->nics[1].bridge = "br0";
  v1::Vm out;
  VmStatusToProto({.config = *config, .state = libvirt::DomainState::kShutOff}, &out);
  ASSERT_EQ(out.nics_size(), 3);
  EXPECT_EQ(out.nics(0).spec().type(), v1::NIC_TYPE_DIRECT);
  EXPECT_EQ(out.nics(0).bridge(), "br0");
  EXPECT_EQ(out.nics(1).spec().type(), v1::NIC_TYPE_NORMAL);
  EXPECT_EQ(out.nics(1).bridge(), "br0.local");
  EXPECT_EQ(out.nics(2).spec().type(), v1::NIC_TYPE_NETWORK_FUNCTION);
  EXPECT_EQ(out.nics(2).spec().network_function_role(), v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS);
  EXPECT_EQ(out.nics(2).bridge(), "br.nf");
  auto back = VmConfigFromSpec(out.spec());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->nics[2].role, NetworkFunctionRole::kIngress);
}

TEST(VmConvertTest, CpuOverrideStandingAndModelAreReported) {
  v1::VmSpec in = FullSpec();
  in.set_cpu_model_override("Westmere");
  auto config = VmConfigFromSpec(in);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->cpu_model_override, "Westmere");
  config->cpu_baseline_xml =
      "<cpu mode='custom' match='exact'><model fallback='forbid'>Westmere</model></cpu>";
  v1::Vm out;
  VmStatusToProto({.config = *config,
                   .state = libvirt::DomainState::kShutOff,
                   .cpu_standing = compute::CpuStanding::kBelow},
                  &out);
  EXPECT_EQ(out.spec().cpu_model_override(), "Westmere");
  EXPECT_EQ(out.cpu_model(), "Westmere");
  EXPECT_EQ(out.cpu_standing(), v1::CPU_STANDING_BELOW_BASELINE);
  EXPECT_EQ(ToCpuStanding(compute::CpuStanding::kAt), v1::CPU_STANDING_AT_BASELINE);
  EXPECT_EQ(ToCpuStanding(compute::CpuStanding::kAbove), v1::CPU_STANDING_ABOVE_BASELINE);
  EXPECT_EQ(ToCpuStanding(compute::CpuStanding::kNoBaseline), v1::CPU_STANDING_NO_BASELINE);
}

TEST(VmConvertTest, EachNicsLinkIsReportedByItsTap) {
  auto config = VmConfigFromSpec(FullSpec());
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_GE(config->nics.size(), 2U);
  config->nics[0].tap = "hvt0";
  config->nics[1].tap = "hvt1";
  v1::Vm out;
  VmStatusToProto({.config = *config,
                   .state = libvirt::DomainState::kRunning,
                   .link_up = {{"hvt0", false}, {"hvt1", true}}},
                  &out);
  EXPECT_FALSE(out.nics(0).link_up());
  EXPECT_TRUE(out.nics(1).link_up());
  out.Clear();
  VmStatusToProto({.config = *config, .state = libvirt::DomainState::kShutOff}, &out);
  EXPECT_FALSE(out.nics(1).link_up());
}

TEST(VmConvertTest, EveryLibvirtStateHasOnePowerState) {
  using libvirt::DomainState;
  EXPECT_EQ(ToPowerState(DomainState::kRunning), v1::POWER_STATE_ON);
  EXPECT_EQ(ToPowerState(DomainState::kBlocked), v1::POWER_STATE_ON);
  EXPECT_EQ(ToPowerState(DomainState::kPaused), v1::POWER_STATE_PAUSED);
  EXPECT_EQ(ToPowerState(DomainState::kShuttingDown), v1::POWER_STATE_SHUTTING_DOWN);
  EXPECT_EQ(ToPowerState(DomainState::kShutOff), v1::POWER_STATE_OFF);
  EXPECT_EQ(ToPowerState(DomainState::kCrashed), v1::POWER_STATE_CRASHED);
  EXPECT_EQ(ToPowerState(DomainState::kSuspended), v1::POWER_STATE_SUSPENDED);
  EXPECT_EQ(ToPowerState(DomainState::kNoState), v1::POWER_STATE_UNSPECIFIED);
}

}  // namespace
}  // namespace hvagent::api
