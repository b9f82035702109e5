// Devices of a running VM through the API, against the testbed's libvirtd,
// QEMU and OVS: disks hot-plugged and unplugged as the guest sees them, images
// created in both formats and removed with their disk, and a NIC changed from
// access to trunked in place while the guest uses it.
#include <fstream>

#include "hvagent/libvirt/connection.h"

#include "hvagent_test/polling.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/switch_rows.h"
#include "hvagent_test/vm_layer_setup.h"
#include "vm_api_test_fixture.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;

class VmDevicesTest : public VmApiTest {
 protected:
  v1::Disk AddDisk(const std::string& vm, uint64_t size, v1::DiskFormat format,
                   grpc::Status* status) {
    v1::CreateDiskRequest req;
    req.set_vm_name(vm);
    req.mutable_spec()->set_create_size_bytes(size);
    req.mutable_spec()->set_format(format);
    v1::Disk disk;
    *status = vms()->CreateDisk(Ctx().get(), req, &disk);
    return disk;
  }

  // CreateDisk of an existing file (or, with `block`, a block device).
  grpc::Status AttachPath(const std::string& vm, const std::string& path, bool block = false) {
    v1::CreateDiskRequest req;
    req.set_vm_name(vm);
    if (block) {
      req.mutable_spec()->set_block_device(path);
    } else {
      req.mutable_spec()->set_file_path(path);
    }
    v1::Disk disk;
    return vms()->CreateDisk(Ctx().get(), req, &disk);
  }

  // The operator's own images: a subdirectory of the default image root.
  std::string Library() {
    const std::string dir = state_dir_ + "/disks/library";
    std::filesystem::create_directories(dir);
    return dir;
  }

  v1::Vm GetVm(const std::string& name) {
    v1::GetVmRequest get;
    get.set_name(name);
    v1::Vm vm;
    EXPECT_TRUE(vms()->GetVm(Ctx().get(), get, &vm).ok());
    return vm;
  }

  std::vector<std::string> DiskImages() { return DiskImageNames(state_dir_); }
};

std::string ImageFormat(const std::string& path) {
  const auto info = RunProcess({"/usr/bin/qemu-img", "info", "-U", "--output=json", path});
  const auto at = info.out.find("\"format\": \"");
  if (at == std::string::npos) return "(none)";
  const auto from = at + 11;
  return info.out.substr(from, info.out.find('"', from) - from);
}

TEST_F(VmDevicesTest, DiskHotPlugAndUnplugAreSeenInsideTheGuest) {
  // The guest writes a marker onto its boot-time disk, then reports each
  // disk that comes and goes.
  const std::string script =
      "echo HVMARK-0123 | dd of=/dev/sda conv=fsync 2>/dev/null && echo SDA-WRITTEN\n"
      "while [ ! -e /sys/block/sdb ]; do sleep 0.2; done\n"
      "echo SDB-SECTORS=$(cat /sys/block/sdb/size)\n"
      "while [ -e /sys/block/sdb ]; do sleep 0.2; done\n"
      "echo SDB-GONE\nsleep 3600\n";
  v1::CreateVmRequest req = GuestVm("disky", script);
  req.mutable_spec()->add_disks()->set_create_size_bytes(8ULL << 20);
  v1::Vm vm;
  const grpc::Status created = vms()->CreateVm(Ctx().get(), req, &vm);
  ASSERT_TRUE(created.ok()) << created.error_message();
  ASSERT_EQ(vm.disks_size(), 1);
  const std::string boot_disk = vm.disks(0).path();
  EXPECT_EQ(vm.disks(0).device_id(), "sda");
  EXPECT_EQ(ImageFormat(boot_disk), "raw");
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "disky", &vm).ok());
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "SDA-WRITTEN"));

  grpc::Status plugged;
  const v1::Disk disk = AddDisk("disky", 1ULL << 30, v1::DISK_FORMAT_QCOW2, &plugged);
  ASSERT_TRUE(plugged.ok()) << plugged.error_message() << agent_->log();
  EXPECT_EQ(disk.device_id(), "sdb");
  EXPECT_TRUE(disk.agent_created());
  EXPECT_EQ(disk.spec().format(), v1::DISK_FORMAT_QCOW2);
  EXPECT_EQ(ImageFormat(disk.path()), "qcow2");
  // 1 GiB in 512-byte sectors, as the guest's kernel sizes the new SCSI disk.
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "SDB-SECTORS="));
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("SDB-SECTORS=2097152"));
  EXPECT_EQ(GetVm("disky").disks_size(), 2);  // kept in the definition

  v1::DeleteDiskRequest del;
  del.set_vm_name("disky");
  del.set_device_id("sdb");
  v1::DeleteDiskResponse deleted;
  const grpc::Status unplugged = vms()->DeleteDisk(Ctx().get(), del, &deleted);
  ASSERT_TRUE(unplugged.ok()) << unplugged.error_message();
  EXPECT_TRUE(WaitForConsole(vm.console_log_path(), "SDB-GONE"));
  EXPECT_FALSE(std::filesystem::exists(disk.path()));
  EXPECT_EQ(GetVm("disky").disks_size(), 1);
  EXPECT_EQ(vms()->DeleteDisk(Ctx().get(), del, &deleted).error_code(), grpc::NOT_FOUND);

  // What the guest wrote is on the host's image: a real disk, not a scratch one.
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOff, "disky", &vm).ok());
  std::ifstream image(boot_disk, std::ios::binary);
  std::string head(11, '\0');
  image.read(head.data(), static_cast<std::streamsize>(head.size()));
  EXPECT_EQ(head, "HVMARK-0123");

  // Deleting the VM deletes the images it created.
  v1::DeleteVmRequest del_vm;
  del_vm.set_name("disky");
  v1::DeleteVmResponse gone;
  ASSERT_TRUE(vms()->DeleteVm(Ctx().get(), del_vm, &gone).ok());
  EXPECT_FALSE(std::filesystem::exists(boot_disk));
  EXPECT_THAT(DiskImages(), ::testing::IsEmpty());
}

TEST_F(VmDevicesTest, DiskRefusalsNameTheProblemAndLeaveNothing) {
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("plain", "true\n"), &vm).ok());
  grpc::Status s;
  AddDisk("plain", 1000, v1::DISK_FORMAT_RAW, &s);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.create_size_bytes"));
  AddDisk("plain", 10'000'000'000'000'000'000ULL, v1::DISK_FORMAT_RAW, &s);
  EXPECT_EQ(s.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("9 EB"));
  // Within the 9 EB maximum but beyond what a qcow2 image can address.
  AddDisk("plain", 8'000'000'000'000'000'000ULL, v1::DISK_FORMAT_QCOW2, &s);
  EXPECT_EQ(s.error_code(), grpc::RESOURCE_EXHAUSTED) << s.error_message();
  AddDisk("nosuchvm", 1ULL << 20, v1::DISK_FORMAT_RAW, &s);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  v1::CreateDiskRequest neither;
  neither.set_vm_name("plain");
  v1::Disk out;
  s = vms()->CreateDisk(Ctx().get(), neither, &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("create_size_bytes, file_path, block_device"));
  v1::CreateDiskRequest relative;
  relative.set_vm_name("plain");
  relative.mutable_spec()->set_file_path("images/../../etc/shadow");
  s = vms()->CreateDisk(Ctx().get(), relative, &out);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.file_path"));

  EXPECT_EQ(GetVm("plain").disks_size(), 0);
  EXPECT_EQ(GetVm("plain").generation(), vm.generation());
  EXPECT_THAT(DiskImages(), ::testing::IsEmpty());

  // An existing image is attached, and never deleted with the disk.
  const std::string mine = Library() + "/operator-image.raw";
  ASSERT_EQ(RunProcess({"/usr/bin/truncate", "-s", "4M", mine}).exit_code, 0);
  v1::CreateDiskRequest existing;
  existing.set_vm_name("plain");
  existing.mutable_spec()->set_file_path(mine);
  s = vms()->CreateDisk(Ctx().get(), existing, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(out.agent_created());
  v1::DeleteDiskRequest del;
  del.set_vm_name("plain");
  del.set_device_id(out.device_id());
  v1::DeleteDiskResponse deleted;
  ASSERT_TRUE(vms()->DeleteDisk(Ctx().get(), del, &deleted).ok());
  EXPECT_TRUE(std::filesystem::exists(mine));
}

TEST_F(VmDevicesTest, HostPathsAreConfinedToTheImageRootsAndChangeNothingWhenRefused) {
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("confined", "true\n"), &vm).ok());
  const std::string library = Library();
  std::filesystem::create_directories(library + "/a-directory");
  std::filesystem::create_symlink("/etc/passwd", library + "/escape.raw");
  struct Refusal {
    std::string path;
    bool block;
    grpc::StatusCode code;
    std::string says;
  };
  for (const Refusal& r : std::vector<Refusal>{
           {"/etc/passwd", false, grpc::PERMISSION_DENIED, "outside the image roots"},
           {"/proc/self/mem", false, grpc::PERMISSION_DENIED, "under /proc"},
           {"/dev/sda", false, grpc::PERMISSION_DENIED, "under /dev"},
           {library + "/escape.raw", false, grpc::PERMISSION_DENIED, "resolves to '/etc/passwd'"},
           {library + "/../../../../etc/passwd", false, grpc::INVALID_ARGUMENT, "normalised"},
           {library + "/a-directory", false, grpc::INVALID_ARGUMENT, "is a directory"},
           {library + "/missing.raw", false, grpc::INVALID_ARGUMENT, "does not exist"},
           {"/etc/passwd", true, grpc::PERMISSION_DENIED, "block device is named under /dev"},
           {"/dev/null", true, grpc::INVALID_ARGUMENT, "a character device, not a block device"},
       }) {
    const grpc::Status s = AttachPath("confined", r.path, r.block);
    EXPECT_EQ(s.error_code(), r.code) << r.path << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(r.block ? "spec.block_device" : "spec.file_path"));
    EXPECT_THAT(s.error_message(), HasSubstr(r.says)) << r.path;
  }
  EXPECT_EQ(GetVm("confined").disks_size(), 0);
  EXPECT_EQ(GetVm("confined").generation(), vm.generation());

  // A kernel from /proc: refused, and no VM is defined.
  v1::CreateVmRequest proc_kernel = GuestVm("proc-kernel", "true\n");
  proc_kernel.mutable_spec()->mutable_boot()->set_kernel_path("/proc/self/mem");
  v1::Vm out;
  grpc::Status s = vms()->CreateVm(Ctx().get(), proc_kernel, &out);
  EXPECT_EQ(s.error_code(), grpc::PERMISSION_DENIED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("spec.boot.kernel_path"));
  v1::GetVmRequest get;
  get.set_name("proc-kernel");
  EXPECT_EQ(vms()->GetVm(Ctx().get(), get, &out).error_code(), grpc::NOT_FOUND);

  // An image swapped for a link out of the roots after it was attached:
  // PowerOn refuses before QEMU opens it, naming the disk.
  const std::string image = library + "/swapped.raw";
  ASSERT_EQ(RunProcess({"/usr/bin/truncate", "-s", "4M", image}).exit_code, 0);
  s = AttachPath("confined", image);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::filesystem::remove(image);
  std::filesystem::create_symlink("/etc/passwd", image);
  s = Power(&v1::VmService::Stub::PowerOn, "confined", &out);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("spec.disks[0].file_path"));
  EXPECT_EQ(GetVm("confined").power_state(), v1::POWER_STATE_OFF);
  v1::DeleteVmRequest del;
  del.set_name("confined");
  v1::DeleteVmResponse gone;
  EXPECT_TRUE(vms()->DeleteVm(Ctx().get(), del, &gone).ok());
  EXPECT_TRUE(std::filesystem::is_symlink(image));  // not the agent's: it stays
  std::filesystem::remove_all(library);
}

TEST_F(VmDevicesTest, NicChangesFromAccessToTrunkedInPlaceOnARunningGuest) {
  CreateNetwork("vlan.20", 20);
  // Untagged traffic reaches VLAN 10's peer; tagged VLAN 20 (eth0.20) only
  // once the port trunks it. The guest keeps trying until it gets through.
  const std::string script =
      GuestAddressUp("eth0", "10.88.0.2/24") +
      "ip link add link eth0 name eth0.20 type vlan id 20\n"
      "ip link set eth0.20 up\nip addr add 10.89.0.2/24 dev eth0.20\n"
      "ping -c 2 -W 2 10.88.0.1 >/dev/null && echo NATIVE=ok\n"
      "ping -c 1 -W 2 10.89.0.1 >/dev/null && echo EARLY-TAGGED=ok\n"
      "echo TAGGED-WAIT\n"
      "until ping -c 1 -W 1 10.89.0.1 >/dev/null; do sleep 0.3; done\n"
      "echo TAGGED=ok\n"
      "ping -c 2 -W 2 10.88.0.1 >/dev/null && echo NATIVE-AFTER=ok\nsleep 3600\n";
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn("trunky", script, &vm));
  const std::string tap = vm.nics(0).tap();
  const std::string mac = vm.nics(0).mac();
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "TAGGED-WAIT"));
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("NATIVE=ok"));
  EXPECT_THAT(ReadFile(vm.console_log_path()), ::testing::Not(HasSubstr("EARLY-TAGGED=ok")));
  const std::string port_uuid = PortColumn(tap, "_uuid");
  // The guest uses its NIC: its link is up, as OVS reports it too.
  EXPECT_EQ(Column("Interface", tap, "link_state"), "up");
  v1::GetNicRequest get_nic;
  get_nic.set_vm_name("trunky");
  get_nic.set_mac(mac);
  v1::Nic shown;
  ASSERT_TRUE(vms()->GetNic(Ctx().get(), get_nic, &shown).ok());
  EXPECT_TRUE(shown.link_up());
  EXPECT_TRUE(GetVm("trunky").nics(0).link_up());

  // Refusals first: each names its field and leaves the port as it was.
  auto update = [&](const std::function<void(v1::UpdateNicRequest&)>& mutate, v1::Nic* out) {
    v1::UpdateNicRequest req;
    req.set_vm_name("trunky");
    req.set_mac(mac);
    req.mutable_spec()->set_network("vlan.10");
    req.mutable_spec()->set_vlan_mode(v1::VLAN_MODE_TRUNKED);
    req.mutable_spec()->add_trunked_vlans(20);
    mutate(req);
    return vms()->UpdateNic(Ctx().get(), req, out);
  };
  v1::Nic nic;
  grpc::Status s = update([](auto& r) { r.mutable_spec()->add_trunked_vlans(4095); }, &nic);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("trunked_vlans"));
  s = update([](auto& r) { r.mutable_spec()->set_network("vlan.99"); }, &nic);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.network"));
  s = update([](auto& r) { r.mutable_spec()->set_mac("52:54:00:00:00:01"); }, &nic);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.mac"));
  s = update([](auto& r) { r.set_mac("52:54:00:00:00:02"); }, &nic);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_EQ(PortColumn(tap, "vlan_mode"), "access");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");

  s = update([](auto&) {}, &nic);
  ASSERT_TRUE(s.ok()) << s.error_message() << agent_->log();
  EXPECT_EQ(nic.spec().vlan_mode(), v1::VLAN_MODE_TRUNKED);
  EXPECT_EQ(PortColumn(tap, "vlan_mode"), "native-untagged");
  EXPECT_EQ(PortColumn(tap, "tag"), "10");
  EXPECT_EQ(PortColumn(tap, "trunks"), "[20]");
  EXPECT_EQ(PortColumn(tap, "_uuid"), port_uuid);  // changed in place, never re-created
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "NATIVE-AFTER="));
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("TAGGED=ok"));
  EXPECT_THAT(ReadFile(vm.console_log_path()), HasSubstr("NATIVE-AFTER=ok"));
  EXPECT_EQ(GetVm("trunky").nics(0).spec().trunked_vlans_size(), 1);  // kept in the definition

  // And back to access: the trunk goes in the same single change.
  s = update(
      [](auto& r) {
        r.mutable_spec()->set_vlan_mode(v1::VLAN_MODE_ACCESS);
        r.mutable_spec()->clear_trunked_vlans();
      },
      &nic);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(PortColumn(tap, "vlan_mode"), "access");
  EXPECT_EQ(PortColumn(tap, "trunks"), "[]");
  EXPECT_EQ(PortColumn(tap, "_uuid"), port_uuid);
}

TEST_F(VmDevicesTest, NetworkInUseIsNeitherDeletedNorRetagged) {
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), GuestVm("user-1", "true\n"), &vm).ok());
  v1::GetNetworkRequest get;
  get.set_name("vlan.10");
  v1::Network network;
  ASSERT_TRUE(networks()->GetNetwork(Ctx().get(), get, &network).ok());
  EXPECT_EQ(network.nic_count(), 1u);
  v1::ListNetworksResponse list;
  ASSERT_TRUE(networks()->ListNetworks(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.networks_size(), 1);
  EXPECT_EQ(list.networks(0).nic_count(), 1u);

  v1::DeleteNetworkRequest del;
  del.set_name("vlan.10");
  v1::DeleteNetworkResponse deleted;
  grpc::Status s = networks()->DeleteNetwork(Ctx().get(), del, &deleted);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("user-1"));
  v1::UpdateNetworkRequest retag;
  retag.set_name("vlan.10");
  retag.set_vlan_id(11);
  s = networks()->UpdateNetwork(Ctx().get(), retag, &network);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("user-1"));
  ASSERT_TRUE(networks()->GetNetwork(Ctx().get(), get, &network).ok());
  EXPECT_EQ(network.vlan_id(), 10u);  // unchanged

  v1::DeleteVmRequest del_vm;
  del_vm.set_name("user-1");
  v1::DeleteVmResponse gone;
  ASSERT_TRUE(vms()->DeleteVm(Ctx().get(), del_vm, &gone).ok());
  ASSERT_TRUE(networks()->UpdateNetwork(Ctx().get(), retag, &network).ok());
  EXPECT_EQ(network.vlan_id(), 11u);
  EXPECT_TRUE(networks()->DeleteNetwork(Ctx().get(), del, &deleted).ok());
}

TEST_F(VmDevicesTest, RestartRemovesOnlyProvableLeftovers) {
  // Two running VMs; the agent dies, and one VM vanishes behind its back
  // (as when the agent is killed between undefining a VM and unplugging it).
  v1::Vm kept;
  v1::Vm lost;
  v1::CreateVmRequest with_disk = GuestVm("kept", "sleep 3600\n");
  with_disk.mutable_spec()->add_disks()->set_create_size_bytes(4ULL << 20);
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), with_disk, &kept).ok());
  with_disk.mutable_spec()->set_name("lost");
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), with_disk, &lost).ok());
  // A VM deleted with keep_disks: its image lives on under disks/kept/.
  v1::Vm archived;
  with_disk.mutable_spec()->set_name("archived");
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), with_disk, &archived).ok());
  v1::DeleteVmRequest keep;
  keep.set_name("archived");
  keep.set_keep_disks(true);
  v1::DeleteVmResponse gone;
  ASSERT_TRUE(vms()->DeleteVm(Ctx().get(), keep, &gone).ok());
  const std::string archived_image =
      state_dir_ + "/disks/kept/" +
      std::filesystem::path(archived.disks(0).path()).filename().string();
  EXPECT_TRUE(std::filesystem::exists(archived_image));
  EXPECT_FALSE(std::filesystem::exists(archived.disks(0).path()));
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "kept", &kept).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "lost", &lost).ok());
  const std::string kept_port = PortColumn(kept.nics(0).tap(), "_uuid");
  const std::string peer_port = PortColumn("hvpeer", "_uuid");
  agent_->Kill();

  auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
  ASSERT_TRUE(conn.ok());
  auto dom = (*conn)->LookupDomainByName("lost");
  ASSERT_TRUE(dom.ok());
  ASSERT_TRUE(dom->Destroy().ok());
  ASSERT_TRUE(dom->Undefine().ok());
  const std::string lost_tap = lost.nics(0).tap();
  ASSERT_NE(PortColumn(lost_tap, "_uuid"), "(missing)");
  ASSERT_TRUE(std::filesystem::exists(lost.disks(0).path()));
  // And the image of a create interrupted before its define.
  const std::string interrupted =
      state_dir_ + "/disks/0b0e2c1a-5f7d-4c7e-9a57-3c2e8d1f0a11-sda.raw";
  { std::ofstream(interrupted) << "partial"; }
  // And a tap of the agent's naming with no port and no VM: an attach or a
  // detach killed between its tap and its port.
  const std::string stray_tap = "hvt0123456789ab";
  ASSERT_TRUE(bed_->Exec({"ip", "tuntap", "add", "dev", stray_tap, "mode", "tap"}).ok());

  StartAgent();
  // One reconcile pass removes the port, then the tap, then the images: wait
  // for all of it, not just its first step.
  EXPECT_TRUE(Eventually(
      [&] {
        return PortColumn(lost_tap, "_uuid") == "(missing)" &&
               !bed_->Exec({"ip", "link", "show", lost_tap}).ok() &&
               !bed_->Exec({"ip", "link", "show", stray_tap}).ok() &&
               !std::filesystem::exists(lost.disks(0).path()) &&
               !std::filesystem::exists(interrupted);
      },
      "the leftovers' removal (port, taps, images)", std::chrono::seconds(30)))
      << agent_->log();
  // What is not provably a leftover stays, row for row.
  EXPECT_EQ(PortColumn(kept.nics(0).tap(), "_uuid"), kept_port);
  EXPECT_EQ(PortColumn("hvpeer", "_uuid"), peer_port);
  EXPECT_TRUE(bed_->Exec({"ip", "link", "show", kept.nics(0).tap()}).ok());
  EXPECT_FALSE(std::filesystem::exists(lost.disks(0).path()));
  EXPECT_FALSE(std::filesystem::exists(interrupted));
  EXPECT_TRUE(std::filesystem::exists(kept.disks(0).path()));
  EXPECT_TRUE(std::filesystem::exists(archived_image));
}

TEST_F(VmDevicesTest, NicQosIsAppliedToThePortAndCleared) {
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(CreateAndPowerOn("qossy", "sleep 3600\n", &vm));
  const std::string tap = vm.nics(0).tap();
  auto interface_column = [&](const std::string& column) {
    return Column("Interface", tap, column);
  };
  v1::UpdateNicRequest req;
  req.set_vm_name("qossy");
  req.set_mac(vm.nics(0).mac());
  req.mutable_spec()->set_network("vlan.10");
  req.mutable_spec()->mutable_qos()->set_ingress_burst_kb(100);  // a burst without a rate
  v1::Nic nic;
  grpc::Status s = vms()->UpdateNic(Ctx().get(), req, &nic);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec.qos.ingress_burst_kb"));
  EXPECT_EQ(interface_column("ingress_policing_burst"), "0");

  req.mutable_spec()->mutable_qos()->set_ingress_rate_kbps(5000);
  req.mutable_spec()->mutable_qos()->set_egress_rate_kbps(8000);
  s = vms()->UpdateNic(Ctx().get(), req, &nic);
  ASSERT_TRUE(s.ok()) << s.error_message() << agent_->log();
  EXPECT_EQ(nic.spec().qos().ingress_rate_kbps(), 5000u);
  EXPECT_EQ(interface_column("ingress_policing_rate"), "5000");
  EXPECT_EQ(interface_column("ingress_policing_burst"), "100");
  EXPECT_NE(PortColumn(tap, "qos"), "[]");
  // Kept in the definition: a restarted agent re-applies it.
  v1::GetVmRequest get;
  get.set_name("qossy");
  ASSERT_TRUE(vms()->GetVm(Ctx().get(), get, &vm).ok());
  EXPECT_EQ(vm.nics(0).spec().qos().egress_rate_kbps(), 8000u);

  req.mutable_spec()->clear_qos();
  s = vms()->UpdateNic(Ctx().get(), req, &nic);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(interface_column("ingress_policing_rate"), "0");
  EXPECT_EQ(PortColumn(tap, "qos"), "[]");
}

// The seed's command, `vm.nic_create fooVM vlan_mode=kTrunked
// trunked_networks=10,20,30 network=vlan.10`, checked on the wire: the guest
// reaches VLAN 10 untagged and VLANs 20 and 30 tagged, and nothing else.
TEST_F(VmDevicesTest, SeedTrunkedNicOnTheWire) {
  std::string error;
  ASSERT_TRUE(bed_->AddHostNamespace("peer30", "eth0", "10.90.0.1/24", "hvpeer30", &error))
      << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hvpeer30", "tag=30"}).ok());
  ASSERT_TRUE(bed_->AddHostNamespace("peer40", "eth0", "10.91.0.1/24", "hvpeer40", &error))
      << error;
  ASSERT_TRUE(bed_->Vsctl({"add-port", "br0", "hvpeer40", "tag=40"}).ok());
  const std::string script =
      GuestAddressUp("eth0", "10.88.0.2/24") +
      "n=89; for v in 20 30 40; do ip link add link eth0 name eth0.$v type vlan id $v; "
      "ip link set eth0.$v up; ip addr add 10.$n.0.2/24 dev eth0.$v; n=$((n+1)); done\n"
      "for p in 10:88 20:89 30:90 40:91; do "
      "if ping -c 2 -W 2 10.${p#*:}.0.1 >/dev/null; then echo V${p%:*}=ok; "
      "else echo V${p%:*}=down; fi; done\nsleep 3600\n";
  v1::CreateVmRequest req = GuestVm("fooVM", script);
  req.mutable_spec()->clear_nics();
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), req, &vm).ok());
  v1::CreateNicRequest nic_req;
  nic_req.set_vm_name("fooVM");
  nic_req.mutable_spec()->set_network("vlan.10");
  nic_req.mutable_spec()->set_vlan_mode(v1::VLAN_MODE_TRUNKED);
  for (uint32_t vlan : {10, 20, 30}) nic_req.mutable_spec()->add_trunked_vlans(vlan);
  v1::Nic nic;
  const grpc::Status created = vms()->CreateNic(Ctx().get(), nic_req, &nic);
  ASSERT_TRUE(created.ok()) << created.error_message();
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "fooVM", &vm).ok());
  EXPECT_EQ(PortColumn(nic.tap(), "vlan_mode"), "native-untagged");
  EXPECT_EQ(PortColumn(nic.tap(), "tag"), "10");
  EXPECT_EQ(PortColumn(nic.tap(), "trunks"), "[10, 20, 30]");
  // A normal NIC: behind the bridge chain, so the VLANs below cross it.
  EXPECT_EQ(bed_->Vsctl({"port-to-br", nic.tap()}).out, "br0.local\n");
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "V40="));
  const std::string console = ReadFile(vm.console_log_path());
  EXPECT_THAT(console, HasSubstr("V10=ok"));
  EXPECT_THAT(console, HasSubstr("V20=ok"));
  EXPECT_THAT(console, HasSubstr("V30=ok"));
  EXPECT_THAT(console, HasSubstr("V40=down"));  // not trunked: isolated
}

TEST_F(VmDevicesTest, AgentRestartLeavesTheSwitchByteForByte) {
  v1::CreateVmRequest access = GuestVm("steady-1", "sleep 3600\n");
  access.mutable_spec()->mutable_nics(0)->mutable_qos()->set_ingress_rate_kbps(9000);
  access.mutable_spec()->mutable_nics(0)->mutable_qos()->set_egress_rate_kbps(7000);
  v1::CreateVmRequest trunked = GuestVm("steady-2", "sleep 3600\n");
  trunked.mutable_spec()->mutable_nics(0)->set_vlan_mode(v1::VLAN_MODE_TRUNKED);
  trunked.mutable_spec()->mutable_nics(0)->add_trunked_vlans(20);
  v1::Vm vm;
  for (const auto* req : {&access, &trunked}) {
    ASSERT_TRUE(vms()->CreateVm(Ctx().get(), *req, &vm).ok());
    ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, req->spec().name(), &vm).ok());
  }
  const std::string before = SwitchRows(bed_->ovsdb_socket());
  ASSERT_THAT(before, HasSubstr("native-untagged"));
  ASSERT_THAT(before, HasSubstr("linux-htb"));

  for (bool crash : {true, false}) {
    if (crash) {
      agent_->Kill();
    } else {
      ASSERT_EQ(agent_->Stop(), 0);
    }
    StartAgent();
    // The restarted agent has reconciled both VMs once a call in each VM's
    // order has run (reconcile runs there), and its leftover sweep is done
    // once it logs the reconcile.
    ASSERT_TRUE(Eventually(
        [&] { return agent_->log().find("reconcile: 2 running VMs") != std::string::npos; },
        "the reconcile", std::chrono::seconds(20)))
        << agent_->log();
    for (const char* name : {"steady-1", "steady-2"}) {
      ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, name, &vm).ok());
    }
    EXPECT_EQ(SwitchRows(bed_->ovsdb_socket()), before)
        << (crash ? "after SIGKILL" : "after SIGTERM");
  }
}

TEST_F(VmDevicesTest, OvsdbRestartKeepsOnePortAndAPortDeletedByHandComesBack) {
  const std::string script =
      GuestAddressUp("eth0", "10.88.0.2/24") +
      "while true; do if ping -c 1 -W 1 10.88.0.1 >/dev/null; then echo PING-OK; "
      "else echo PING-FAIL; fi; sleep 0.5; done\n";
  v1::Vm vm;
  ASSERT_NO_FATAL_FAILURE(BootAndWaitFor("steadfast", script, "PING-OK", &vm));
  const std::string tap = vm.nics(0).tap();
  const std::string port_uuid = PortColumn(tap, "_uuid");
  auto port_rows = [&] {
    const ProcessResult ports =
        RunProcess({"/usr/bin/ovsdb-client", "dump", "--format=csv", "unix:" + bed_->ovsdb_socket(),
                    "Open_vSwitch", "Port", "name"});
    size_t rows = 0;
    for (size_t at = ports.out.find(tap); at != std::string::npos;
         at = ports.out.find(tap, at + 1)) {
      ++rows;
    }
    return rows;
  };
  auto traffic_flows_again = [&] {
    const size_t seen = ReadFile(vm.console_log_path()).size();
    return Eventually(
        [&] { return ReadFile(vm.console_log_path()).find("PING-OK", seen) != std::string::npos; },
        "traffic", std::chrono::seconds(60));
  };

  // ovsdb-server restarted under the agent, on its database: the agent
  // reconnects and resyncs; still one row, the same one, and traffic.
  ASSERT_TRUE(bed_->StopDaemon("ovsdb"));
  ASSERT_TRUE(bed_->StartDaemon("ovsdb"));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, "steadfast", &vm).ok());  // agent answers
  EXPECT_EQ(port_rows(), 1u);
  EXPECT_EQ(PortColumn(tap, "_uuid"), port_uuid);
  EXPECT_TRUE(traffic_flows_again());

  // The port deleted behind the agent's back: the agent sees the row go and
  // plugs it again, on its VLAN.
  ASSERT_TRUE(bed_->Vsctl({"del-port", "br0.local", tap}).ok());
  EXPECT_TRUE(Eventually([&] { return PortColumn(tap, "tag") == "10"; }, "the port's return",
                         std::chrono::seconds(30)))
      << agent_->log();
  EXPECT_EQ(port_rows(), 1u);
  EXPECT_TRUE(traffic_flows_again());
}

// nics_per_vm NICs hot-plugged one by one into a running guest of `machine`
// that booted with one: each is in the live domain, has its OVS port on its
// VLAN and shows up in the guest; one more is RESOURCE_EXHAUSTED naming the
// limit. q35 takes them on the pcie-root-ports reserved at definition,
// i440fx ("pc") on pci.0's free slots.
class NicHotPlugTest : public VmDevicesTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(NicHotPlugTest, NicsUpToTheLimitHotPlugAndOneMoreIsResourceExhausted) {
  constexpr int kNicsPerVm = 16;  // HostService's nics_per_vm on every host
  const std::string name = std::string("plug-") + GetParam();
  const std::string script =
      "echo GUEST-UP\n"
      "while :; do n=0; for i in /sys/class/net/eth*; do [ -e $i ] && n=$((n+1)); done; "
      "[ $n -ge 16 ] && break; sleep 0.5; done\n"
      "echo GUEST-NICS=$n\nsleep 3600\n";
  v1::CreateVmRequest req = GuestVm(name, script);
  req.mutable_spec()->set_machine_type(GetParam());
  v1::Vm vm;
  ASSERT_TRUE(vms()->CreateVm(Ctx().get(), req, &vm).ok());
  ASSERT_TRUE(Power(&v1::VmService::Stub::PowerOn, name, &vm).ok());
  ASSERT_TRUE(WaitForConsole(vm.console_log_path(), "GUEST-UP"));

  std::vector<std::string> taps = {vm.nics(0).tap()};
  v1::CreateNicRequest nic_req;
  nic_req.set_vm_name(name);
  nic_req.mutable_spec()->set_network("vlan.10");
  for (int i = 1; i < kNicsPerVm; ++i) {
    v1::Nic nic;
    const grpc::Status plugged = vms()->CreateNic(Ctx().get(), nic_req, &nic);
    ASSERT_TRUE(plugged.ok()) << "NIC " << i + 1 << ": " << plugged.error_message();
    taps.push_back(nic.tap());
  }
  v1::Nic extra;
  const grpc::Status refused = vms()->CreateNic(Ctx().get(), nic_req, &extra);
  EXPECT_EQ(refused.error_code(), grpc::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_THAT(refused.error_message(), HasSubstr("nics_per_vm is 16"));

  auto conn = libvirt::Connection::Open(bed_->libvirt_uri());
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto dom = (*conn)->LookupDomainByName(name);
  ASSERT_TRUE(dom.ok()) << dom.status();
  const auto live = dom->XmlDesc();
  ASSERT_TRUE(live.ok()) << live.status();
  size_t interfaces = 0;
  for (size_t at = live->find("<interface "); at != std::string::npos;
       at = live->find("<interface ", at + 1)) {
    ++interfaces;
  }
  EXPECT_EQ(interfaces, size_t{kNicsPerVm});
  for (const std::string& tap : taps) EXPECT_EQ(PortColumn(tap, "tag"), "10") << tap;
  EXPECT_EQ(GetVm(name).nics_size(), kNicsPerVm);  // and in the definition
  // The guest's kernel found every one (PCIe native hot-plug on q35, ACPI on pc).
  EXPECT_TRUE(WaitForConsole(vm.console_log_path(), "GUEST-NICS=16", 60));
}

INSTANTIATE_TEST_SUITE_P(Machines, NicHotPlugTest, ::testing::Values("q35", "pc"));

}  // namespace
}  // namespace hvagent::testing
