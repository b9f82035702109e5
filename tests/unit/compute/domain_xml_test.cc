// VmConfig ⇄ domain XML: golden files (as libvirt's xml2argv tests), round
// trips, XML as libvirt returns it, external domains, hostile input, and
// every validation rule.
//
// To regenerate the golden files after an intended change:
//   HVAGENT_REGENERATE_GOLDEN=1 build/debug/tests/unit/domain_xml_test
// then review the diff under tests/unit/testdata/domain_xml/.
#include "hvagent/compute/domain_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "hvagent/compute/device_names.h"
#include "hvagent_test/golden.h"

namespace hvagent::compute {

// Readable failure output for EXPECT_EQ on configs (gtest would dump bytes).
void PrintTo(const DiskConfig& d, std::ostream* os) {
  *os << "{target=" << d.target << " bus=" << static_cast<int>(d.bus)
      << " source_type=" << static_cast<int>(d.source_type) << " path=" << d.path
      << " format=" << static_cast<int>(d.format) << " cdrom=" << d.cdrom
      << " read_only=" << d.read_only << " agent_created=" << d.agent_created
      << " size_bytes=" << d.size_bytes << "}";
}

void PrintTo(const NicConfig& n, std::ostream* os) {
  *os << "{mac=" << n.mac << " network=" << n.network << " model=" << n.model
      << " vlan_mode=" << static_cast<int>(n.vlan_mode) << " trunked_vlans=[";
  for (const uint32_t v : n.trunked_vlans) *os << v << ",";
  *os << "] tap=" << n.tap << " bridge=" << n.bridge << " vlan_id=" << n.vlan_id << "}";
}

void PrintTo(const VmConfig& c, std::ostream* os) {
  *os << "\n  name=" << c.name << " uuid=" << c.uuid
      << " domain_type=" << static_cast<int>(c.domain_type) << " vcpus=" << c.vcpus
      << " cores_per_socket=" << c.cores_per_socket << " threads_per_core=" << c.threads_per_core
      << " memory_bytes=" << c.memory_bytes << " machine=" << c.machine
      << " boot=" << static_cast<int>(c.boot) << "\n  kernel_path=" << c.kernel_path
      << " initrd_path=" << c.initrd_path << " kernel_cmdline=" << c.kernel_cmdline
      << "\n  console_log_path=" << c.console_log_path
      << "\n  cpu_baseline_xml=" << c.cpu_baseline_xml << "\n  generation=" << c.generation
      << " external=" << c.external << "\n  labels={";
  for (const auto& [k, v] : c.labels) *os << k << "=" << v << ",";
  *os << "}";
  for (const NicConfig& n : c.nics) {
    *os << "\n  nic ";
    PrintTo(n, os);
  }
  for (const DiskConfig& d : c.disks) {
    *os << "\n  disk ";
    PrintTo(d, os);
  }
}

namespace {

using hvagent::testing::ReadTestData;
using hvagent::testing::TestDataPath;

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kKiB = 1ULL << 10;
constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;
constexpr char kUuid[] = "6f1c0b5e-2a47-4c1e-9a53-0e8b8c2d7f10";

// A CPU model as virConnectBaselineHypervisorCPU returns it, and the same in
// canonical form.
constexpr char kBaselineAsLibvirtPrintsIt[] = R"(<cpu mode='custom' match='exact'>
  <model fallback='forbid'>Skylake-Client-IBRS</model>
  <vendor>Intel</vendor>
  <feature policy='require' name='ss'/>
  <feature name='hypervisor' policy='require'/>
  <feature policy='disable' name='mpx'/>
</cpu>
)";
constexpr char kCanonicalBaseline[] =
    "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client-IBRS</model>"
    "<vendor>Intel</vendor><feature policy='require' name='ss'/>"
    "<feature policy='require' name='hypervisor'/><feature policy='disable' name='mpx'/></cpu>";

std::string TestData(const std::string& name) { return TestDataPath("domain_xml/" + name); }
std::string Golden(const std::string& name) { return ReadTestData("domain_xml/" + name); }

NicConfig Nic(const std::string& mac, const std::string& network, uint32_t vlan) {
  NicConfig nic;
  nic.mac = mac;
  nic.network = network;
  nic.vlan_id = vlan;
  nic.tap = TapNameFor(kUuid, mac);
  nic.bridge = "br0";
  return nic;
}

// --- The golden configs -----------------------------------------------------

VmConfig MinimalConfig() {
  VmConfig c;
  c.name = "minimal";
  c.uuid = kUuid;
  c.memory_bytes = 1 * kGiB;
  return c;
}

// The test guest's shape: direct kernel boot, serial console to a file.
VmConfig KernelBootConfig() {
  VmConfig c = MinimalConfig();
  c.name = "kernel-boot";
  c.memory_bytes = 256 * kMiB;
  c.boot = BootDevice::kKernel;
  c.kernel_path = "/var/lib/hvagent/test-guest/vmlinuz";
  c.initrd_path = "/var/lib/hvagent/test-guest/initrd.img";
  c.kernel_cmdline = "console=ttyS0 panic=-1 quiet";
  c.console_log_path = "/var/log/hvagent/console/kernel-boot.log";
  c.nics.push_back(Nic("52:54:00:12:34:56", "vlan.0", 0));
  return c;
}

// The seed's acli example:
//   vm.nic_create vm1 network=vlan.10 vlan_mode=kTrunked trunked_networks=10,20,30
VmConfig TrunkedNicConfig() {
  VmConfig c = MinimalConfig();
  c.name = "vm1";
  c.domain_type = DomainType::kKvm;
  c.vcpus = 2;
  c.memory_bytes = 2 * kGiB;
  NicConfig nic = Nic("52:54:00:3f:2a:91", "vlan.10", 10);
  nic.vlan_mode = VlanMode::kTrunked;
  nic.trunked_vlans = {10, 20, 30};
  c.nics.push_back(nic);
  c.nics.push_back(Nic("52:54:00:3f:2a:92", "vlan.20", 20));
  c.nics.back().model = "e1000";
  c.nics.back().qos = {
      .ingress_rate_kbps = 10000, .ingress_burst_kb = 1000, .egress_rate_kbps = 20000};
  return c;
}

VmConfig DisksConfig() {
  VmConfig c = MinimalConfig();
  c.name = "disks";
  c.boot = BootDevice::kCdrom;
  c.disks.push_back({.target = "sda",
                     .path = "/var/lib/hvagent/volumes/6f1c0b5e/sda.raw",
                     .agent_created = true,
                     .size_bytes = 10 * kGiB});
  c.disks.push_back(
      {.target = "sdb", .path = "/var/lib/images/debian-12.qcow2", .format = DiskFormat::kQcow2});
  c.disks.push_back({.target = "sdc",
                     .bus = DiskBus::kVirtio,
                     .source_type = DiskSourceType::kBlock,
                     .path = "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"});
  c.disks.push_back({.target = "sdd",
                     .bus = DiskBus::kSata,
                     .path = "/var/lib/images/debian-12-netinst.iso",
                     .cdrom = true,
                     .read_only = true});
  return c;
}

VmConfig CpuBaselineConfig() {
  VmConfig c = MinimalConfig();
  c.name = "cpu-baseline";
  c.domain_type = DomainType::kKvm;
  c.vcpus = 8;
  c.cores_per_socket = 2;
  c.threads_per_core = 2;
  c.memory_bytes = 4 * kGiB;
  c.machine = "pc-q35-7.2";
  c.cpu_baseline_xml = kCanonicalBaseline;
  c.labels = {{"owner", "team-a"}, {"project", "billing"}};
  c.generation = 7;
  return c;
}

// A VM held to a named model instead of the cluster baseline: the model is
// its <cpu>, and the override is kept in the metadata.
VmConfig CpuModelOverrideConfig() {
  VmConfig c = MinimalConfig();
  c.name = "cpu-model-override";
  c.cpu_model_override = "Westmere";
  c.cpu_baseline_xml =
      "<cpu mode='custom' match='exact'><model fallback='forbid'>Westmere</model></cpu>";
  return c;
}

// A q35 VM as the agent defines it (nic_slots = nics_per_vm): one NIC and one
// virtio disk cold-plugged, pcie-root-ports for them, the fixed devices and
// the 15 NICs still to come.
VmConfig HotplugSlotsConfig() {
  VmConfig c = MinimalConfig();
  c.name = "hotplug-slots";
  c.nic_slots = 16;
  c.nics.push_back(Nic("52:54:00:12:34:56", "vlan.10", 10));
  c.disks.push_back({.target = "sda",
                     .bus = DiskBus::kVirtio,
                     .path = "/var/lib/images/debian-12.qcow2",
                     .format = DiskFormat::kQcow2});
  return c;
}

struct GoldenCase {
  const char* file;
  std::function<VmConfig()> config;
};

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, BuildsTheGoldenFileByteForByte) {
  const auto xml = BuildDomainXml(GetParam().config());
  ASSERT_TRUE(xml.ok()) << xml.status();
  const std::string path = TestData(GetParam().file);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment meanwhile.
  if (std::getenv("HVAGENT_REGENERATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << *xml;
    FAIL() << "regenerated " << path
           << "; review the diff and run again without HVAGENT_REGENERATE_GOLDEN";
  }
  EXPECT_EQ(*xml, Golden(GetParam().file))
      << "golden file " << path << " (HVAGENT_REGENERATE_GOLDEN=1 rewrites it)";
}

TEST_P(GoldenTest, ParseReturnsTheConfigBuilt) {
  const VmConfig config = GetParam().config();
  const auto xml = BuildDomainXml(config);
  ASSERT_TRUE(xml.ok()) << xml.status();
  const auto parsed = ParseDomainXml(*xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, config);
}

// testdata/domain_xml/libvirt/: what libvirt 9.0 returned (virsh dumpxml
// --inactive) after defining each golden file.
TEST_P(GoldenTest, ParsesWhatLibvirtReturnedForIt) {
  const auto parsed = ParseDomainXml(Golden(std::string("libvirt/") + GetParam().file));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, GetParam().config());
}

TEST_P(GoldenTest, BuildIsDeterministic) {
  EXPECT_EQ(BuildDomainXml(GetParam().config()).value(),
            BuildDomainXml(GetParam().config()).value());
}

INSTANTIATE_TEST_SUITE_P(DomainXml, GoldenTest,
                         ::testing::Values(GoldenCase{"minimal.xml", MinimalConfig},
                                           GoldenCase{"kernel-boot.xml", KernelBootConfig},
                                           GoldenCase{"trunked-nic.xml", TrunkedNicConfig},
                                           GoldenCase{"disks.xml", DisksConfig},
                                           GoldenCase{"cpu-baseline.xml", CpuBaselineConfig},
                                           GoldenCase{"cpu-model-override.xml",
                                                      CpuModelOverrideConfig},
                                           GoldenCase{"hotplug-slots.xml", HotplugSlotsConfig}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.file;
                           name = name.substr(0, name.find('.'));
                           std::erase(name, '-');
                           return name;
                         });

// --- PCI slots for hot-plug -------------------------------------------------

size_t RootPorts(const VmConfig& config) {
  const std::string xml = BuildDomainXml(config).value();
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  return doc.select_nodes("/domain/devices/controller[@model='pcie-root-port']").size();
}

TEST(HotplugSlotsTest, Q35GetsAPortPerDeviceAndPerNicStillToCome) {
  VmConfig c = MinimalConfig();
  c.nic_slots = 16;
  // virtio-scsi, balloon, rng, USB + 16 NICs (none yet).
  EXPECT_EQ(RootPorts(c), 20U);
  // A cold-plugged NIC takes one of the 16: the count stays, so hot-plugging
  // and redefining does not change the domain's ports.
  c.nics.push_back(Nic("52:54:00:12:34:56", "vlan.10", 10));
  EXPECT_EQ(RootPorts(c), 20U);
  // A virtio disk takes a port of its own; a SCSI disk takes none.
  c.disks.push_back({.target = "sda", .bus = DiskBus::kVirtio, .path = "/var/lib/a.raw"});
  c.disks.push_back({.target = "sdb", .path = "/var/lib/b.raw"});
  EXPECT_EQ(RootPorts(c), 21U);
}

TEST(HotplugSlotsTest, NoPortsWithoutSlotsOrOnI440fx) {
  // Domains defined before slots were reserved keep libvirt's own layout.
  EXPECT_EQ(RootPorts(MinimalConfig()), 0U);
  // i440fx hot-plugs into pci.0's own slots.
  VmConfig pc = MinimalConfig();
  pc.machine = "pc";
  pc.nic_slots = 16;
  const std::string xml = BuildDomainXml(pc).value();
  EXPECT_THAT(xml, ::testing::Not(::testing::HasSubstr("type='pci'")));
  EXPECT_THAT(xml, ::testing::HasSubstr("<hvagent:nic-slots>16</hvagent:nic-slots>"));
  EXPECT_EQ(ParseDomainXml(xml).value(), pc);
}

// --- XML as libvirt returns it ----------------------------------------------

// What libvirt-returned.xml was defined from. That file is the live XML of the
// running domain, so it has the canonical machine type, disks sorted by bus,
// addresses, aliases, seclabels and a <cpu> with check='full' and features
// QEMU added (see testdata/domain_xml/README.md).
VmConfig LibvirtReturnedConfig() {
  VmConfig c = CpuBaselineConfig();
  c.name = "web-1";
  c.uuid = "0b7f4e2c-8d1a-4f3b-a5c6-1e2d3f4a5b6c";
  c.vcpus = 4;
  c.threads_per_core = 1;
  c.machine = "q35";
  c.console_log_path = "/var/log/hvagent/console/web-1.log";
  c.labels = {{"owner", "team-a"}, {"note", "<&>\"'"}};
  c.generation = 3;
  NicConfig trunk = Nic("52:54:00:3f:2a:91", "vlan.10", 10);
  trunk.tap = TapNameFor(c.uuid, trunk.mac);
  trunk.vlan_mode = VlanMode::kTrunked;
  trunk.trunked_vlans = {10, 20, 30};
  NicConfig access = Nic("52:54:00:3f:2a:92", "vlan.20", 20);
  access.tap = TapNameFor(c.uuid, access.mac);
  c.nics = {trunk, access};
  // libvirt moves sdb (sata) after sdc (scsi); the metadata restores this order.
  c.disks.push_back({.target = "sda",
                     .path = "/var/lib/hvagent/volumes/0b7f4e2c/sda.raw",
                     .agent_created = true,
                     .size_bytes = 20 * kGiB});
  c.disks.push_back({.target = "sdb",
                     .bus = DiskBus::kSata,
                     .path = "/var/lib/images/debian-12-netinst.iso",
                     .cdrom = true,
                     .read_only = true});
  c.disks.push_back({.target = "sdc",
                     .source_type = DiskSourceType::kBlock,
                     .path = "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4",
                     .format = DiskFormat::kQcow2});
  return c;
}

TEST(ParseDomainXmlTest, ReadsTheConfigBackFromWhatLibvirtReturns) {
  const auto parsed = ParseDomainXml(Golden("libvirt-returned.xml"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, LibvirtReturnedConfig());
}

TEST(ParseDomainXmlTest, LibvirtReturnedConfigRoundTrips) {
  // The config the input file stands for is itself valid and round-trips.
  const auto built = BuildDomainXml(LibvirtReturnedConfig());
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(ParseDomainXml(*built).value(), LibvirtReturnedConfig());
}

TEST(ParseDomainXmlTest, ExternalCustomCpuIsReadAsABaseline) {
  // Without our metadata, the domain's own <cpu> is all there is.
  std::string xml = Golden("libvirt-returned.xml");
  const size_t begin = xml.find("<metadata>");
  xml.erase(begin, xml.find("</metadata>") + 11 - begin);
  const auto parsed = ParseDomainXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->external);
  EXPECT_EQ(parsed->machine, "pc-q35-7.2");
  EXPECT_EQ(parsed->cpu_baseline_xml,
            "<cpu mode='custom' match='exact'><model fallback='forbid'>Skylake-Client-IBRS</model>"
            "<vendor>Intel</vendor><feature policy='require' name='ss'/>"
            "<feature policy='require' name='vmx'/><feature policy='require' name='hypervisor'/>"
            "<feature policy='require' name='tsc_adjust'/>"
            "<feature policy='disable' name='mpx'/></cpu>");
  // libvirt's order: sdc (scsi) before sdb (sata).
  ASSERT_EQ(parsed->disks.size(), 3u);
  EXPECT_EQ(parsed->disks[1].target, "sdc");
  EXPECT_FALSE(parsed->disks[0].agent_created);
  EXPECT_EQ(parsed->nics[0].network, "");
  EXPECT_EQ(parsed->nics[0].tap, TapNameFor(parsed->uuid, parsed->nics[0].mac));
}

TEST(ParseDomainXmlTest, ResolvesAnyPrefixBoundToTheNamespace) {
  std::string xml = BuildDomainXml(TrunkedNicConfig()).value();
  // Every "hvagent:" is the metadata prefix (names and values use no colon).
  for (size_t at; (at = xml.find("hvagent:")) != std::string::npos;) xml.replace(at, 8, "hv:");
  xml.replace(xml.find("xmlns:hvagent="), 14, "xmlns:hv=");
  ASSERT_THAT(xml, HasSubstr("xmlns:hv='https://hvagent.dev/xmlns/vm/1'"));
  const auto parsed = ParseDomainXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, TrunkedNicConfig());
}

TEST(ParseDomainXmlTest, MetadataInAnotherNamespaceIsNotOurs) {
  std::string xml = BuildDomainXml(MinimalConfig()).value();
  const std::string ns(kMetadataNamespace);
  xml.replace(xml.find(ns), ns.size(), "https://example.com/other/1");
  const auto parsed = ParseDomainXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->external);
}

TEST(ParseDomainXmlTest, ExternalDomainWithoutMetadata) {
  const auto parsed = ParseDomainXml(Golden("external.xml"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const VmConfig& c = *parsed;
  EXPECT_TRUE(c.external);
  EXPECT_EQ(c.name, "debian12");
  EXPECT_EQ(c.uuid, "3d7f9a10-51c2-4b8e-9f0a-2c4e6a8b0d1f");
  EXPECT_EQ(c.domain_type, DomainType::kKvm);
  EXPECT_EQ(c.vcpus, 2u);
  EXPECT_EQ(c.memory_bytes, 2 * kGiB);
  EXPECT_EQ(c.machine, "pc-q35-7.2");
  EXPECT_EQ(c.cpu_baseline_xml, "");  // host-passthrough: no baseline
  EXPECT_EQ(c.generation, 1);
  EXPECT_TRUE(c.labels.empty());
  // The rbd disk cannot be described and is skipped; the empty cdrom stays.
  ASSERT_EQ(c.disks.size(), 2u);
  EXPECT_EQ(c.disks[0].target, "vda");
  EXPECT_EQ(c.disks[0].bus, DiskBus::kVirtio);
  EXPECT_EQ(c.disks[0].format, DiskFormat::kQcow2);
  EXPECT_EQ(c.disks[0].path, "/var/lib/libvirt/images/debian12.qcow2");
  EXPECT_FALSE(c.disks[0].agent_created);
  EXPECT_EQ(c.disks[1].target, "sda");
  EXPECT_TRUE(c.disks[1].cdrom);
  EXPECT_TRUE(c.disks[1].read_only);
  EXPECT_EQ(c.disks[1].path, "");
  ASSERT_EQ(c.nics.size(), 1u);
  EXPECT_EQ(c.nics[0].mac, "52:54:00:aa:bb:cc");
  EXPECT_EQ(c.nics[0].tap, "vnet3");
  EXPECT_EQ(c.nics[0].model, "virtio");
  EXPECT_EQ(c.nics[0].bridge, "virbr0");
  EXPECT_EQ(c.nics[0].network, "");
  EXPECT_EQ(c.console_log_path, "");
}

TEST(ParseDomainXmlTest, UnknownDevicesInADomainWeOwnAreAnError) {
  // The external file's rbd disk, inside a domain carrying our metadata.
  std::string xml = BuildDomainXml(MinimalConfig()).value();
  xml.replace(xml.find("<devices>"), 9,
              "<devices><disk type='network' device='disk'><source protocol='rbd' "
              "name='pool/vol'/><target dev='vdb' bus='virtio'/></disk>");
  const auto parsed = ParseDomainXml(xml);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(parsed.status()), HasSubstr("disk type='network'"));
}

TEST(ParseDomainXmlTest, MetadataOfRemovedDevicesIsDropped) {
  VmConfig config = TrunkedNicConfig();
  std::string xml = BuildDomainXml(config).value();
  // Remove the second <interface> element, as a hot-unplug would.
  const size_t second = xml.find("<interface", xml.find("<interface") + 1);
  xml.erase(second, xml.find("</interface>", second) + 12 - second);
  const auto parsed = ParseDomainXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  config.nics.pop_back();
  EXPECT_EQ(*parsed, config);
}

TEST(ParseDomainXmlTest, MemoryUnits) {
  const auto parse = [](const std::string& memory) {
    return ParseDomainXml("<domain type='kvm'><name>m</name>" + memory + "</domain>");
  };
  EXPECT_EQ(parse("<memory unit='GiB'>4</memory>").value().memory_bytes, 4 * kGiB);
  EXPECT_EQ(parse("<memory unit='MB'>16</memory>").value().memory_bytes, 16'000'000u);
  EXPECT_EQ(parse("<memory>1024</memory>").value().memory_bytes, kMiB);  // KiB by default
  EXPECT_EQ(parse("<memory unit='parsec'>1</memory>").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parse("<memory unit='KiB'>12abc</memory>").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parse("<memory unit='TiB'>99999999</memory>").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseDomainXmlTest, MalformedXmlIsInvalidArgument) {
  for (const char* xml : {"", "<domain", "<domain><name>x</domain>", "not xml at all",
                          "<notadomain><name>x</name></notadomain>", "<domain/>"}) {
    const auto parsed = ParseDomainXml(xml);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << xml;
  }
  // Our metadata with a broken generation.
  std::string xml = BuildDomainXml(MinimalConfig()).value();
  xml.replace(xml.find(">1</hvagent:generation>"), 2, ">x");
  EXPECT_EQ(ParseDomainXml(xml).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- CPU baseline -------------------------------------------------------------

TEST(CpuBaselineTest, CanonicalFormIsStableAndIdempotent) {
  const auto canonical = CanonicalCpuBaselineXml(kBaselineAsLibvirtPrintsIt);
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  EXPECT_EQ(*canonical, kCanonicalBaseline);
  EXPECT_EQ(CanonicalCpuBaselineXml(*canonical).value(), *canonical);
  // libvirt's default fallback is made explicit.
  EXPECT_EQ(CanonicalCpuBaselineXml("<cpu><model>qemu64</model></cpu>").value(),
            "<cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>");
}

TEST(CpuBaselineTest, AnyFormOfTheSameBaselineBuildsTheSameDomain) {
  VmConfig as_printed = CpuBaselineConfig();
  as_printed.cpu_baseline_xml = kBaselineAsLibvirtPrintsIt;
  EXPECT_EQ(BuildDomainXml(as_printed).value(), BuildDomainXml(CpuBaselineConfig()).value());
}

// --- Hostile input ----------------------------------------------------------------

TEST(HostileInputTest, MarkupInANameIsRefused) {
  VmConfig c = MinimalConfig();
  c.name = "a'><devices>";
  const auto xml = BuildDomainXml(c);
  EXPECT_EQ(xml.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(MessageOf(xml.status()), StartsWith("spec.name:"));
}

TEST(HostileInputTest, MarkupInTheCmdlineIsEscapedVerbatim) {
  VmConfig c = KernelBootConfig();
  c.kernel_cmdline = "console=ttyS0 x='><devices><disk type='file'><source file='/etc/shadow'/>";
  const auto xml = BuildDomainXml(c);
  ASSERT_TRUE(xml.ok()) << xml.status();
  EXPECT_THAT(*xml, HasSubstr("<cmdline>console=ttyS0 x='&gt;&lt;devices&gt;&lt;disk "
                              "type='file'&gt;&lt;source file='/etc/shadow'/&gt;</cmdline>"));
  size_t count = 0;
  for (size_t at = 0; (at = xml->find("<devices", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 1u);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml->c_str()));
  EXPECT_EQ(doc.select_nodes("//devices").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//disk").size(), 0u);
  const auto parsed = ParseDomainXml(*xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->kernel_cmdline, c.kernel_cmdline);
  EXPECT_EQ(*parsed, c);
}

TEST(HostileInputTest, LabelValuesWithXmlSpecialsRoundTrip) {
  VmConfig c = MinimalConfig();
  c.labels = {{"note", "<&>\"'"}, {"x", "]]><devices/>"}};
  const auto xml = BuildDomainXml(c);
  ASSERT_TRUE(xml.ok()) << xml.status();
  // '>' needs no escaping in an attribute; pugixml leaves it.
  EXPECT_THAT(*xml, HasSubstr("value='&lt;&amp;>\"&apos;'"));
  const auto parsed = ParseDomainXml(*xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->labels, c.labels);
}

// --- Validation -------------------------------------------------------------------

// A config that exercises every part, so that each case breaks exactly one rule.
VmConfig FullConfig() {
  VmConfig c = TrunkedNicConfig();
  c.disks = DisksConfig().disks;
  c.console_log_path = "/var/log/hvagent/console/vm1.log";
  c.cpu_baseline_xml = kCanonicalBaseline;
  c.labels = {{"owner", "team-a"}};
  return c;
}

struct RuleCase {
  const char* rule;
  std::function<void(VmConfig&)> breaks;
  const char* message_prefix;
};

class ValidationTest : public ::testing::TestWithParam<RuleCase> {};

TEST(ValidationBaseTest, TheBaseConfigsAreValid) {
  EXPECT_TRUE(ValidateVmConfig(FullConfig()).ok()) << ValidateVmConfig(FullConfig());
  for (const auto& make : {MinimalConfig, KernelBootConfig, TrunkedNicConfig, DisksConfig,
                           CpuBaselineConfig, LibvirtReturnedConfig}) {
    EXPECT_TRUE(ValidateVmConfig(make()).ok()) << ValidateVmConfig(make());
  }
}

TEST_P(ValidationTest, IsInvalidArgumentNamingTheField) {
  VmConfig c = FullConfig();
  GetParam().breaks(c);
  const Status status = ValidateVmConfig(c);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(MessageOf(status), StartsWith(GetParam().message_prefix));
  // BuildDomainXml validates first.
  EXPECT_EQ(BuildDomainXml(c).status(), status);
}

VmConfig& Kernel(VmConfig& c) {
  c.boot = BootDevice::kKernel;
  c.kernel_path = "/boot/vmlinuz";
  return c;
}

// A function, not a static array: building the cases may throw.
std::vector<RuleCase> Rules() {
  return {
      {"name_required", [](VmConfig& c) { c.name = ""; }, "spec.name:"},
      {"name_too_long", [](VmConfig& c) { c.name = std::string(65, 'a'); }, "spec.name:"},
      {"name_markup", [](VmConfig& c) { c.name = "a'><devices>"; }, "spec.name:"},
      {"name_starts_with_dash", [](VmConfig& c) { c.name = "-vm"; }, "spec.name:"},
      {"name_space", [](VmConfig& c) { c.name = "my vm"; }, "spec.name:"},
      {"uuid_uppercase", [](VmConfig& c) { c.uuid = "6F1C0B5E-2A47-4C1E-9A53-0E8B8C2D7F10"; },
       "uuid:"},
      {"uuid_shape", [](VmConfig& c) { c.uuid = "6f1c0b5e2a474c1e9a530e8b8c2d7f10"; }, "uuid:"},
      {"uuid_empty", [](VmConfig& c) { c.uuid = ""; }, "uuid:"},
      {"vcpus_zero", [](VmConfig& c) { c.vcpus = 0; }, "spec.num_vcpus:"},
      {"cores_zero", [](VmConfig& c) { c.cores_per_socket = 0; }, "spec.num_cores_per_vcpu:"},
      {"threads_zero", [](VmConfig& c) { c.threads_per_core = 0; }, "spec.num_threads_per_core:"},
      {"vcpus_not_multiple",
       [](VmConfig& c) {
         c.vcpus = 6;
         c.cores_per_socket = 2;
         c.threads_per_core = 2;
       },
       "spec.num_vcpus (6) must be a multiple of num_cores_per_vcpu × threads (4)"},
      {"memory_too_small", [](VmConfig& c) { c.memory_bytes = 8 * kMiB; }, "spec.memory_bytes:"},
      {"memory_not_mib", [](VmConfig& c) { c.memory_bytes = kGiB + 512 * kKiB; },
       "spec.memory_bytes:"},
      {"machine_empty", [](VmConfig& c) { c.machine = ""; }, "spec.machine_type:"},
      {"machine_uppercase", [](VmConfig& c) { c.machine = "Q35"; }, "spec.machine_type:"},
      {"machine_markup", [](VmConfig& c) { c.machine = "q35'/><x"; }, "spec.machine_type:"},
      {"kernel_path_required",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_path = "";
       },
       "spec.boot.kernel_path:"},
      {"kernel_path_relative",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_path = "boot/vmlinuz";
       },
       "spec.boot.kernel_path:"},
      {"kernel_path_newline",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_path = "/boot/vm\nlinuz";
       },
       "spec.boot.kernel_path:"},
      {"kernel_path_nul",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_path = std::string("/boot/vm\0linuz", 14);
       },
       "spec.boot.kernel_path:"},
      {"initrd_relative",
       [](VmConfig& c) {
         Kernel(c);
         c.initrd_path = "initrd.img";
       },
       "spec.boot.initrd_path:"},
      {"cmdline_too_long",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_cmdline = std::string(2049, 'x');
       },
       "spec.boot.kernel_cmdline:"},
      {"cmdline_control_char",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_cmdline = "console=ttyS0\x01";
       },
       "spec.boot.kernel_cmdline:"},
      {"cmdline_invalid_utf8",
       [](VmConfig& c) {
         Kernel(c);
         c.kernel_cmdline = "console=\xc3(";
       },
       "spec.boot.kernel_cmdline:"},
      {"kernel_path_without_kernel_boot", [](VmConfig& c) { c.kernel_path = "/boot/vmlinuz"; },
       "spec.boot.kernel_path:"},
      {"cmdline_without_kernel_boot", [](VmConfig& c) { c.kernel_cmdline = "quiet"; },
       "spec.boot.kernel_cmdline:"},
      {"cdrom_boot_without_cdrom",
       [](VmConfig& c) {
         c.boot = BootDevice::kCdrom;
         c.disks.pop_back();
       },
       "spec.boot.device:"},
      {"network_boot_without_nic",
       [](VmConfig& c) {
         c.boot = BootDevice::kNetwork;
         c.nics.clear();
       },
       "spec.boot.device:"},
      {"mac_uppercase", [](VmConfig& c) { c.nics[1].mac = "52:54:00:3F:2A:92"; },
       "spec.nics[1].mac:"},
      {"mac_dashes", [](VmConfig& c) { c.nics[1].mac = "52-54-00-3f-2a-92"; }, "spec.nics[1].mac:"},
      {"mac_short", [](VmConfig& c) { c.nics[1].mac = "52:54:00:3f:2a"; }, "spec.nics[1].mac:"},
      {"mac_multicast", [](VmConfig& c) { c.nics[1].mac = "53:54:00:3f:2a:92"; },
       "spec.nics[1].mac:"},
      {"mac_broadcast", [](VmConfig& c) { c.nics[1].mac = "ff:ff:ff:ff:ff:ff"; },
       "spec.nics[1].mac:"},
      {"mac_zero", [](VmConfig& c) { c.nics[1].mac = "00:00:00:00:00:00"; }, "spec.nics[1].mac:"},
      {"mac_duplicate", [](VmConfig& c) { c.nics[1].mac = c.nics[0].mac; }, "spec.nics[1].mac:"},
      {"network_name", [](VmConfig& c) { c.nics[1].network = "vlan 20"; }, "spec.nics[1].network:"},
      {"model_unknown", [](VmConfig& c) { c.nics[1].model = "ne2k_pci"; }, "spec.nics[1].model:"},
      {"trunks_in_access_mode", [](VmConfig& c) { c.nics[1].trunked_vlans = {30}; },
       "spec.nics[1].trunked_vlans:"},
      {"trunked_without_vlans", [](VmConfig& c) { c.nics[0].trunked_vlans.clear(); },
       "spec.nics[0].trunked_vlans:"},
      {"trunk_vlan_zero",
       [](VmConfig& c) {
         c.nics[0].trunked_vlans = {0, 20};
       },
       "spec.nics[0].trunked_vlans[0]:"},
      {"trunk_vlan_4095",
       [](VmConfig& c) {
         c.nics[0].trunked_vlans = {10, 4095};
       },
       "spec.nics[0].trunked_vlans[1]:"},
      {"trunk_vlan_duplicate",
       [](VmConfig& c) {
         c.nics[0].trunked_vlans = {10, 20, 10};
       },
       "spec.nics[0].trunked_vlans[2]:"},
      {"native_vlan_4095", [](VmConfig& c) { c.nics[1].vlan_id = 4095; }, "nics[1].vlan_id:"},
      {"tap_required", [](VmConfig& c) { c.nics[1].tap = ""; }, "nics[1].tap:"},
      {"tap_too_long", [](VmConfig& c) { c.nics[1].tap = "hvt0123456789abc"; }, "nics[1].tap:"},
      {"tap_slash", [](VmConfig& c) { c.nics[1].tap = "tap/0"; }, "nics[1].tap:"},
      {"tap_duplicate", [](VmConfig& c) { c.nics[1].tap = c.nics[0].tap; }, "nics[1].tap:"},
      {"bridge_name", [](VmConfig& c) { c.nics[1].bridge = "br 0"; }, "nics[1].bridge:"},
      {"disk_target_prefix", [](VmConfig& c) { c.disks[1].target = "xda"; },
       "spec.disks[1].target:"},
      {"disk_target_digits", [](VmConfig& c) { c.disks[1].target = "sd1"; },
       "spec.disks[1].target:"},
      {"disk_target_duplicate", [](VmConfig& c) { c.disks[1].target = "sda"; },
       "spec.disks[1].target:"},
      {"disk_file_required", [](VmConfig& c) { c.disks[1].path = ""; }, "spec.disks[1].file_path:"},
      {"disk_file_relative", [](VmConfig& c) { c.disks[1].path = "images/x.qcow2"; },
       "spec.disks[1].file_path:"},
      {"disk_file_newline", [](VmConfig& c) { c.disks[1].path = "/images/x\n.qcow2"; },
       "spec.disks[1].file_path:"},
      {"disk_block_relative", [](VmConfig& c) { c.disks[2].path = "sdc"; },
       "spec.disks[2].block_device:"},
      {"cdrom_writable", [](VmConfig& c) { c.disks[3].read_only = false; },
       "spec.disks[3].read_only:"},
      {"cdrom_on_virtio", [](VmConfig& c) { c.disks[3].bus = DiskBus::kVirtio; },
       "spec.disks[3].bus:"},
      {"ide_on_q35", [](VmConfig& c) { c.disks[1].bus = DiskBus::kIde; }, "spec.disks[1].bus:"},
      {"created_block_device",
       [](VmConfig& c) {
         c.disks[2].agent_created = true;
         c.disks[2].size_bytes = kGiB;
       },
       "spec.disks[2].create_size_bytes:"},
      {"created_too_small", [](VmConfig& c) { c.disks[0].size_bytes = 4096; },
       "spec.disks[0].create_size_bytes:"},
      {"console_log_relative", [](VmConfig& c) { c.console_log_path = "console.log"; },
       "console_log_path:"},
      {"cpu_baseline_malformed", [](VmConfig& c) { c.cpu_baseline_xml = "<cpu><model>x"; },
       "cpu_baseline_xml:"},
      {"cpu_baseline_root", [](VmConfig& c) { c.cpu_baseline_xml = "<domain/>"; },
       "cpu_baseline_xml:"},
      {"cpu_baseline_no_model",
       [](VmConfig& c) { c.cpu_baseline_xml = "<cpu><vendor>Intel</vendor></cpu>"; },
       "cpu_baseline_xml:"},
      {"cpu_baseline_host_model",
       [](VmConfig& c) { c.cpu_baseline_xml = "<cpu mode='host-model'><model>x</model></cpu>"; },
       "cpu_baseline_xml:"},
      {"cpu_baseline_bad_policy",
       [](VmConfig& c) {
         c.cpu_baseline_xml = "<cpu><model>x</model><feature policy='maybe' name='ss'/></cpu>";
       },
       "cpu_baseline_xml:"},
      {"cpu_baseline_duplicate_feature",
       [](VmConfig& c) {
         c.cpu_baseline_xml = "<cpu><model>x</model><feature name='ss'/><feature name='ss'/></cpu>";
       },
       "cpu_baseline_xml:"},
      {"cpu_model_override_not_a_name", [](VmConfig& c) { c.cpu_model_override = "a<b"; },
       "spec.cpu_model_override:"},
      {"cpu_baseline_control_char",
       [](VmConfig& c) { c.cpu_baseline_xml = "<cpu><model>x&#1;</model></cpu>"; },
       "cpu_baseline_xml:"},
      {"label_key_uppercase", [](VmConfig& c) { c.labels["Owner"] = "x"; }, "spec.labels:"},
      {"label_key_empty", [](VmConfig& c) { c.labels[""] = "x"; }, "spec.labels:"},
      {"label_key_too_long", [](VmConfig& c) { c.labels[std::string(64, 'k')] = "x"; },
       "spec.labels:"},
      {"label_value_too_long", [](VmConfig& c) { c.labels["owner"] = std::string(256, 'v'); },
       "spec.labels:"},
      {"label_value_control_char", [](VmConfig& c) { c.labels["owner"] = "a\tb"; }, "spec.labels:"},
      {"generation_zero", [](VmConfig& c) { c.generation = 0; }, "generation:"},
      {"external", [](VmConfig& c) { c.external = true; }, "external:"},
  };
}

INSTANTIATE_TEST_SUITE_P(Rules, ValidationTest, ::testing::ValuesIn(Rules()),
                         [](const auto& param_info) { return std::string(param_info.param.rule); });

// --- Device names -----------------------------------------------------------

TEST(TapNameForTest, IsHvtAndTwelveHexDigitsOfFnv1a) {
  const std::string tap = TapNameFor(kUuid, "52:54:00:3f:2a:91");
  EXPECT_EQ(tap, TapNameFor(kUuid, "52:54:00:3f:2a:91"));
  EXPECT_EQ(tap.size(), 15u);
  EXPECT_THAT(tap, ::testing::MatchesRegex("hvt[0-9a-f]{12}"));
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: the name holds its high 48 bits.
  EXPECT_EQ(TapNameFor("", "a"), "hvtaf63dc4c8601");
  EXPECT_EQ(TapNameFor(kUuid, "52:54:00:3f:2a:91"), "hvt183043e2a8d1");
}

TEST(TapNameForTest, DiffersForDifferentMacsAndVms) {
  std::set<std::string> taps;
  for (int i = 0; i < 256; ++i) {
    taps.insert(TapNameFor(kUuid, fmt::format("52:54:00:00:00:{:02x}", i)));
  }
  EXPECT_EQ(taps.size(), 256u);
  EXPECT_NE(TapNameFor(kUuid, "52:54:00:00:00:01"),
            TapNameFor("0b7f4e2c-8d1a-4f3b-a5c6-1e2d3f4a5b6c", "52:54:00:00:00:01"));
}

TEST(TapNameForTest, OnlyItsShapeIsTheAgents) {
  EXPECT_TRUE(IsAgentTapName(TapNameFor(kUuid, "52:54:00:3f:2a:91")));
  EXPECT_FALSE(IsAgentTapName("hvt183043e2a8d"));    // one digit short
  EXPECT_FALSE(IsAgentTapName("hvt183043e2a8d1f"));  // one too many
  EXPECT_FALSE(IsAgentTapName("hvt183043E2A8D1"));   // not TapNameFor's case
  EXPECT_FALSE(IsAgentTapName("hvpeer"));
  EXPECT_FALSE(IsAgentTapName("tap183043e2a8d1"));
}

TEST(NextDiskTargetTest, FollowsLibvirtsDiskNameOrder) {
  std::vector<DiskConfig> disks;
  std::vector<std::string> names;
  for (int i = 0; i < 703; ++i) {
    names.push_back(NextDiskTarget(disks));
    disks.push_back({.target = names.back()});
  }
  EXPECT_EQ(names[0], "sda");
  EXPECT_EQ(names[1], "sdb");
  EXPECT_EQ(names[25], "sdz");
  EXPECT_EQ(names[26], "sdaa");
  EXPECT_EQ(names[27], "sdab");
  EXPECT_EQ(names[51], "sdaz");
  EXPECT_EQ(names[52], "sdba");
  EXPECT_EQ(names[701], "sdzz");
  EXPECT_EQ(names[702], "sdaaa");
}

TEST(NextDiskTargetTest, FillsTheFirstGap) {
  EXPECT_EQ(NextDiskTarget({}), "sda");
  EXPECT_EQ(NextDiskTarget({{.target = "sda"}, {.target = "sdc"}}), "sdb");
  // Other prefixes do not take an sd name.
  EXPECT_EQ(NextDiskTarget({{.target = "vda"}}), "sda");
}

}  // namespace
}  // namespace hvagent::compute
