// vm.*: a VM's life (create … delete, power), its NICs and its disks, in
// acli's spelling (vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30
// network=vlan.10).
#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/v1/vm.grpc.pb.h"

namespace hvagent::cli {
namespace {

using Stub = v1::VmService::Stub;
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

std::vector<Column> VmColumns() {
  return {{"NAME", "spec.name"},
          {"POWER", "power_state"},
          {"VCPUS", "spec.num_vcpus"},
          {"MEMORY_BYTES", "spec.memory_bytes"},
          {"UUID", "uuid"},
          {"EXTERNAL", "external"}};
}
std::vector<Column> NicColumns() {
  return {{"MAC", "mac"},
          {"NETWORK", "spec.network"},
          {"VLAN_MODE", "spec.vlan_mode"},
          {"TRUNKS", "spec.trunked_vlans"},
          {"TYPE", "spec.type"},
          {"TAP", "tap"},
          {"BRIDGE", "bridge"},
          {"LINK_UP", "link_up"}};
}
std::vector<Column> DiskColumns() {
  return {{"DEVICE", "device_id"},
          {"BUS", "spec.bus"},
          {"SIZE_BYTES", "size_bytes"},
          {"PATH", "path"},
          {"AGENT_CREATED", "agent_created"}};
}

// --- vm lifecycle -----------------------------------------------------------

// The Controller VM's protection override (docs/cvm.md): without it, stopping,
// changing or deleting the CVM is refused.
void SetCvmOverride(const ParsedCommand& a, v1::ControllerVmOverride* out) {
  if (!a.Bool("force_cvm")) return;
  out->set_force(true);
  out->set_reason(a.String("reason"));
}
std::vector<KeySpec> WithCvmOverride(std::vector<KeySpec> keys) {
  keys.push_back(KeySpec::Bool(
      "force_cvm", "override the Controller VM's protection (needs reason=; logged, an event)"));
  keys.push_back(KeySpec::String("reason", "why the Controller VM's protection is overridden"));
  return keys;
}

int Create(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  v1::CreateVmRequest request;
  request.set_request_id(inv.NewRequestId());
  v1::VmSpec* spec = request.mutable_spec();
  spec->set_name(inv.positional(0));
  spec->set_num_vcpus(static_cast<uint32_t>(a.Int("num_vcpus")));
  spec->set_num_cores_per_vcpu(static_cast<uint32_t>(a.Int("num_cores_per_vcpu")));
  spec->set_num_threads_per_core(static_cast<uint32_t>(a.Int("num_threads_per_core")));
  spec->set_memory_bytes(a.Size("memory"));
  spec->set_machine_type(a.String("machine_type"));
  spec->set_cpu_model_override(a.String("cpu_model_override"));
  const bool kernel_keys = a.Has("kernel") || a.Has("initrd") || a.Has("cmdline");
  int boot = a.Enum("boot_device", kernel_keys ? v1::BOOT_DEVICE_KERNEL : 0);
  if (kernel_keys && boot != v1::BOOT_DEVICE_KERNEL) {
    return inv.UsageError("kernel, initrd and cmdline need boot_device=kKernel");
  }
  if (boot == v1::BOOT_DEVICE_KERNEL && !a.Has("kernel")) {
    return inv.UsageError("boot_device=kKernel needs kernel=PATH");
  }
  spec->mutable_boot()->set_device(static_cast<v1::BootDevice>(boot));
  spec->mutable_boot()->set_kernel_path(a.String("kernel"));
  spec->mutable_boot()->set_initrd_path(a.String("initrd"));
  spec->mutable_boot()->set_kernel_cmdline(a.String("cmdline"));
  return CallAndShow(inv, &Stub::CreateVm, request);
}

int List(Invocation& inv) {
  v1::ListVmsRequest request;
  request.set_include_external(inv.args().Bool("include_external"));
  return CallAndListAllPages(inv, &Stub::ListVms, request, "vms", VmColumns());
}

int Update(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  if (!a.Has("num_vcpus") && !a.Has("num_cores_per_vcpu") && !a.Has("memory")) {
    return inv.UsageError("nothing to change: give num_vcpus, num_cores_per_vcpu or memory");
  }
  auto request = NamedChangeRequest<v1::UpdateVmRequest>(inv);
  request.set_num_vcpus(static_cast<uint32_t>(a.Int("num_vcpus")));
  request.set_num_cores_per_vcpu(static_cast<uint32_t>(a.Int("num_cores_per_vcpu")));
  request.set_memory_bytes(a.Size("memory"));
  request.set_expected_generation(a.Int("expected_generation"));
  SetCvmOverride(a, request.mutable_controller_vm_override());
  return CallAndShow(inv, &Stub::UpdateVm, request);
}

int Delete(Invocation& inv) {
  auto request = NamedChangeRequest<v1::DeleteVmRequest>(inv);
  request.set_force(inv.args().Bool("force"));
  request.set_keep_disks(inv.args().Bool("keep_disks"));
  SetCvmOverride(inv.args(), request.mutable_controller_vm_override());
  return CallAndConfirm(inv, &Stub::DeleteVm, request, "vm " + inv.positional(0) + " deleted");
}

using PowerMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const v1::VmPowerRequest&,
                                           v1::Vm*);

std::function<int(Invocation&)> Power(PowerMethod method) {
  return [method](Invocation& inv) {
    auto request = NamedChangeRequest<v1::VmPowerRequest>(inv);
    SetCvmOverride(inv.args(), request.mutable_controller_vm_override());
    return CallAndShow(inv, method, request);
  };
}

int Shutdown(Invocation& inv) {
  auto request = NamedChangeRequest<v1::ShutdownVmRequest>(inv);
  const int64_t timeout = inv.args().Int("timeout", 120);
  request.set_timeout_seconds(static_cast<uint32_t>(timeout));
  request.set_power_off_on_timeout(inv.args().Bool("power_off_on_timeout"));
  SetCvmOverride(inv.args(), request.mutable_controller_vm_override());
  // The agent waits up to `timeout` for the guest: the call may take that long.
  return CallAndShow(inv, &Stub::Shutdown, request, static_cast<int>(timeout));
}

int Migrate(Invocation& inv) {
  auto request = NamedChangeRequest<v1::MigrateVmRequest>(inv);
  request.set_destination(inv.args().String("host"));
  request.set_destination_libvirt_uri(inv.args().String("libvirt_uri"));
  request.set_migration_uri(inv.args().String("migration_uri"));
  request.set_live(inv.args().Bool("live", true));
  request.set_max_bandwidth_mibps(static_cast<uint64_t>(inv.args().Int("max_bandwidth_mibps")));
  request.set_max_downtime_ms(static_cast<uint32_t>(inv.args().Int("max_downtime_ms")));
  request.set_auto_converge(inv.args().Bool("auto_converge"));
  return CallAndShow(inv, &Stub::MigrateVm, request);
}

int GetMigration(Invocation& inv) {
  v1::GetMigrationRequest request;
  request.set_id(inv.positional(0));
  return CallAndShow(inv, &Stub::GetMigration, request);
}

int CancelMigration(Invocation& inv) {
  v1::CancelMigrationRequest request;
  request.set_request_id(inv.NewRequestId());
  request.set_id(inv.positional(0));
  return CallAndShow(inv, &Stub::CancelMigration, request);
}

// --- NICs ----------------------------------------------------------------------

std::vector<KeySpec> NicKeys() {
  return {
      KeySpec::String("network",
                      "the native (access) network by name, e.g. vlan.10; none for a "
                      "kNetworkFunctionNic"),
      KeySpec::Mac("mac", "the NIC's MAC (default: generated)"),
      KeySpec::Enum("model", "device model (default virtio)",
                    {{"virtio", 0}, {"e1000", 1}, {"rtl8139", 2}}),
      KeySpec::Enum("vlan_mode",
                    "kAccess: one VLAN untagged (default); kTrunked: the network's "
                    "VLAN untagged plus trunked_networks tagged",
                    {{"kAccess", v1::VLAN_MODE_ACCESS}, {"kTrunked", v1::VLAN_MODE_TRUNKED}}),
      KeySpec::IntList("trunked_networks",
                       "VLAN ids carried tagged on a kTrunked NIC, e.g. 10,20,30", 1, 4094),
      KeySpec::Enum("type", "NIC type (default kNormalNic)",
                    {{"kNormalNic", v1::NIC_TYPE_NORMAL},
                     {"kDirectNic", v1::NIC_TYPE_DIRECT},
                     {"kNetworkFunctionNic", v1::NIC_TYPE_NETWORK_FUNCTION}}),
      KeySpec::Enum("network_function_nic_type",
                    "role of a kNetworkFunctionNic (implies type=kNetworkFunctionNic)",
                    {{"kIngress", v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS},
                     {"kEgress", v1::NETWORK_FUNCTION_NIC_ROLE_EGRESS},
                     {"kTap", v1::NETWORK_FUNCTION_NIC_ROLE_TAP}}),
      KeySpec::Int("ingress_rate_kbps", "QoS: guest-to-switch policing rate, kbit/s; 0 = none", 0,
                   kMaxInt),
      KeySpec::Int("ingress_burst_kb", "QoS: policing burst, kbit; 0 = OVS default", 0, kMaxInt),
      KeySpec::Int("egress_rate_kbps", "QoS: switch-to-guest shaping rate, kbit/s; 0 = none", 0,
                   kMaxInt),
  };
}

// Writes the NIC keys that were given over `spec` (nic_update starts from
// the NIC's current spec, since UpdateNic replaces the whole spec).
void ApplyNicKeys(const ParsedCommand& a, v1::NicSpec* spec) {
  static const char* const kModels[] = {"virtio", "e1000", "rtl8139"};
  if (a.Has("network")) spec->set_network(a.String("network"));
  if (a.Has("mac")) spec->set_mac(a.String("mac"));
  if (a.Has("model")) spec->set_model(kModels[a.Enum("model")]);
  if (a.Has("vlan_mode")) spec->set_vlan_mode(static_cast<v1::VlanMode>(a.Enum("vlan_mode")));
  if (a.Has("trunked_networks")) {
    spec->clear_trunked_vlans();
    for (const int64_t vlan : a.IntList("trunked_networks")) {
      spec->add_trunked_vlans(static_cast<uint32_t>(vlan));
    }
  }
  if (a.Has("type")) spec->set_type(static_cast<v1::NicType>(a.Enum("type")));
  if (a.Has("network_function_nic_type") && !a.Has("type")) {
    spec->set_type(v1::NIC_TYPE_NETWORK_FUNCTION);  // acli: the role says what the NIC is
  }
  if (a.Has("network_function_nic_type")) {
    spec->set_network_function_role(
        static_cast<v1::NetworkFunctionNicRole>(a.Enum("network_function_nic_type")));
  }
  if (a.Has("ingress_rate_kbps")) {
    spec->mutable_qos()->set_ingress_rate_kbps(static_cast<uint64_t>(a.Int("ingress_rate_kbps")));
  }
  if (a.Has("ingress_burst_kb")) {
    spec->mutable_qos()->set_ingress_burst_kb(static_cast<uint64_t>(a.Int("ingress_burst_kb")));
  }
  if (a.Has("egress_rate_kbps")) {
    spec->mutable_qos()->set_egress_rate_kbps(static_cast<uint64_t>(a.Int("egress_rate_kbps")));
  }
}

// What acli refuses about a NIC spec, found before anything is sent; "" if fine.
std::string NicSpecProblem(const v1::NicSpec* spec) {
  // acli: trunked_networks belong to kTrunked NICs only; say so before the agent does.
  if (spec->trunked_vlans_size() > 0 && spec->vlan_mode() != v1::VLAN_MODE_TRUNKED) {
    return "trunked_networks needs vlan_mode=kTrunked";
  }
  if (spec->network_function_role() != v1::NETWORK_FUNCTION_NIC_ROLE_UNSPECIFIED &&
      spec->type() != v1::NIC_TYPE_NETWORK_FUNCTION) {
    return "network_function_nic_type needs type=kNetworkFunctionNic";
  }
  return "";
}

int NicCreate(Invocation& inv) {
  v1::CreateNicRequest request;
  request.set_vm_name(inv.positional(0));
  ApplyNicKeys(inv.args(), request.mutable_spec());
  if (std::string problem = NicSpecProblem(&request.spec()); !problem.empty()) {
    return inv.UsageError(problem);
  }
  if (request.spec().network().empty() && request.spec().type() != v1::NIC_TYPE_NETWORK_FUNCTION) {
    return inv.UsageError("network is required (only a kNetworkFunctionNic has none)");
  }
  request.set_request_id(inv.NewRequestId());
  return CallAndShow(inv, &Stub::CreateNic, request);
}

int NicGet(Invocation& inv) {
  v1::GetNicRequest request;
  request.set_vm_name(inv.positional(0));
  request.set_mac(inv.positional(1));
  return CallAndShow(inv, &Stub::GetNic, request);
}

int NicList(Invocation& inv) {
  return CallAndList(inv, &Stub::GetVm, NamedRequest<v1::GetVmRequest>(inv), "nics", NicColumns());
}

int NicUpdate(Invocation& inv) {
  if (inv.args().values.empty()) return inv.UsageError("nothing to change: give at least one key");
  v1::GetNicRequest get;
  get.set_vm_name(inv.positional(0));
  get.set_mac(inv.positional(1));
  v1::Nic current;
  if (const grpc::Status s = inv.Call(&Stub::GetNic, get, &current); !s.ok()) return inv.Fail(s);
  v1::UpdateNicRequest request;
  request.set_vm_name(inv.positional(0));
  request.set_mac(current.mac());
  *request.mutable_spec() = current.spec();
  request.mutable_spec()->set_mac(current.mac());
  ApplyNicKeys(inv.args(), request.mutable_spec());
  // Leaving kTrunked drops the trunks, as acli does.
  if (request.spec().vlan_mode() != v1::VLAN_MODE_TRUNKED && !inv.args().Has("trunked_networks")) {
    request.mutable_spec()->clear_trunked_vlans();
  }
  if (std::string problem = NicSpecProblem(&request.spec()); !problem.empty()) {
    return inv.UsageError(problem);
  }
  request.set_request_id(inv.NewRequestId());
  return CallAndShow(inv, &Stub::UpdateNic, request);
}

int NicDelete(Invocation& inv) {
  v1::DeleteNicRequest request;
  request.set_request_id(inv.NewRequestId());
  request.set_vm_name(inv.positional(0));
  request.set_mac(inv.positional(1));
  return CallAndConfirm(inv, &Stub::DeleteNic, request,
                        "nic " + inv.positional(1) + " of vm " + inv.positional(0) + " deleted");
}

// --- disks ---------------------------------------------------------------------

int DiskCreate(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  const int sources = static_cast<int>(a.Has("create_size")) + static_cast<int>(a.Has("file")) +
                      static_cast<int>(a.Has("block_device"));
  if (sources != 1) {
    return inv.UsageError("give exactly one of create_size=SIZE, file=PATH, block_device=PATH");
  }
  v1::CreateDiskRequest request;
  request.set_request_id(inv.NewRequestId());
  request.set_vm_name(inv.positional(0));
  v1::DiskSpec* spec = request.mutable_spec();
  spec->set_bus(static_cast<v1::DiskBus>(a.Enum("bus")));
  if (a.Has("create_size")) spec->set_create_size_bytes(a.Size("create_size"));
  if (a.Has("file")) spec->set_file_path(a.String("file"));
  if (a.Has("block_device")) spec->set_block_device(a.String("block_device"));
  spec->set_format(static_cast<v1::DiskFormat>(a.Enum("format")));
  spec->set_cdrom(a.Bool("cdrom"));
  spec->set_read_only(a.Bool("read_only"));
  return CallAndShow(inv, &Stub::CreateDisk, request);
}

int DiskList(Invocation& inv) {
  return CallAndList(inv, &Stub::GetVm, NamedRequest<v1::GetVmRequest>(inv), "disks",
                     DiskColumns());
}

int DiskDelete(Invocation& inv) {
  v1::DeleteDiskRequest request;
  request.set_request_id(inv.NewRequestId());
  request.set_vm_name(inv.positional(0));
  request.set_device_id(inv.positional(1));
  request.set_keep_volume(inv.args().Bool("keep_volume"));
  return CallAndConfirm(inv, &Stub::DeleteDisk, request,
                        "disk " + inv.positional(1) + " of vm " + inv.positional(0) + " deleted");
}

}  // namespace

void AddVmCommands(CommandTable& table) {
  const PositionalSpec vm = NameArg("VM");
  const PositionalSpec mac = {"MAC", "the NIC's MAC address"};
  const KeySpec generation = KeySpec::Int(
      "expected_generation", "refuse (ABORTED) unless the VM is at this generation", 1, kMaxInt);

  table.Add({.name = "vm.create",
             .summary = "Define a VM (it stays off until vm.on)",
             .positionals = {vm},
             .keys = {KeySpec::Int("num_vcpus", "vCPUs in total", 1, 4096).Required(),
                      KeySpec::Size("memory", "memory, e.g. 512M, 4G").Required(),
                      KeySpec::Int("num_cores_per_vcpu", "cores per vCPU socket", 1, 4096),
                      KeySpec::Int("num_threads_per_core", "threads per core", 1, 8),
                      KeySpec::String("machine_type", "QEMU machine type (default q35)"),
                      KeySpec::String("cpu_model_override",
                                      "a named CPU model instead of the cluster CPU baseline, "
                                      "e.g. Westmere"),
                      KeySpec::Enum("boot_device", "what to boot from (default kDisk)",
                                    {{"kDisk", v1::BOOT_DEVICE_DISK},
                                     {"kCdrom", v1::BOOT_DEVICE_CDROM},
                                     {"kNetwork", v1::BOOT_DEVICE_NETWORK},
                                     {"kKernel", v1::BOOT_DEVICE_KERNEL}}),
                      KeySpec::String("kernel", "direct kernel boot: kernel path on the host"),
                      KeySpec::String("initrd", "direct kernel boot: initrd path on the host"),
                      KeySpec::String("cmdline", "direct kernel boot: kernel command line")},
             .details = "NICs and disks are added with vm.nic_create and vm.disk_create.",
             .run = Create});
  table.Add(GetCommand("vm.get", "Show one VM", "VM", &Stub::GetVm));
  table.Add({.name = "vm.list",
             .summary = "List the VMs",
             .keys = {KeySpec::Bool("include_external",
                                    "also domains the agent did not create (default false)")},
             .run = List});
  table.Add({.name = "vm.update",
             .summary = "Change vCPUs or memory (while the VM is off)",
             .positionals = {vm},
             .keys = WithCvmOverride(
                 {KeySpec::Int("num_vcpus", "vCPUs in total", 1, 4096),
                  KeySpec::Int("num_cores_per_vcpu", "cores per vCPU socket", 1, 4096),
                  KeySpec::Size("memory", "memory, e.g. 512M, 4G"), generation}),
             .run = Update});
  table.Add({.name = "vm.delete",
             .summary = "Delete a VM (refused while it runs unless force=true)",
             .positionals = {vm},
             .keys = WithCvmOverride(
                 {KeySpec::Bool("force", "power the VM off first"),
                  KeySpec::Bool("keep_disks", "keep the disk files the agent created")}),
             .run = Delete});
  table.Add(
      {.name = "vm.on", .summary = "Power on", .positionals = {vm}, .run = Power(&Stub::PowerOn)});
  table.Add({.name = "vm.off",
             .summary = "Power off hard (pull the plug)",
             .positionals = {vm},
             .keys = WithCvmOverride({}),
             .run = Power(&Stub::PowerOff)});
  table.Add({.name = "vm.shutdown",
             .summary = "ACPI shutdown, waiting for the guest",
             .positionals = {vm},
             .keys = WithCvmOverride(
                 {KeySpec::Int("timeout", "seconds to wait for the guest (default 120)", 1, 3600),
                  KeySpec::Bool("power_off_on_timeout",
                                "power off if the guest has not shut down in time")}),
             .run = Shutdown});
  table.Add({.name = "vm.reboot",
             .summary = "ACPI reboot",
             .positionals = {vm},
             .run = Power(&Stub::Reboot)});
  table.Add({.name = "vm.reset",
             .summary = "Hard reset",
             .positionals = {vm},
             .keys = WithCvmOverride({}),
             .run = Power(&Stub::Reset)});
  table.Add({.name = "vm.pause",
             .summary = "Pause (the guest stops running)",
             .positionals = {vm},
             .keys = WithCvmOverride({}),
             .run = Power(&Stub::Pause)});
  table.Add({.name = "vm.resume",
             .summary = "Resume a paused VM",
             .positionals = {vm},
             .run = Power(&Stub::Resume)});
  table.Add(
      {.name = "vm.migrate",
       .summary = "Migrate a VM to another host's agent (live, or a stopped VM offline)",
       .positionals = {vm},
       .keys =
           {KeySpec::String("host", "the destination agent's endpoint, e.g. host2:7443").Required(),
            KeySpec::String("libvirt_uri",
                            "the destination's libvirtd as this host's reaches it, e.g. "
                            "qemu+tls://host2/system")
                .Required(),
            KeySpec::String("migration_uri",
                            "where the migration stream goes, e.g. tcp://10.0.0.2 (default: the "
                            "destination's host name)"),
            KeySpec::Bool("live", "live (default true); false moves a stopped VM offline"),
            KeySpec::Int("max_bandwidth_mibps", "bandwidth cap in MiB/s; 0 = none", 0, kMaxInt),
            KeySpec::Int("max_downtime_ms", "acceptable pause at switch-over", 0, 60000),
            KeySpec::Bool("auto_converge", "throttle vCPUs when memory changes too fast")},
       .details = "Returns at once with the migration's id; follow it with vm.migration_get or "
                  "event.watch kinds=kMigration. The destination's agent is asked first: a "
                  "missing network or a configuration maximum refuses it (FAILED_PRECONDITION) "
                  "and nothing changes.",
       .run = Migrate});
  const PositionalSpec migration = {"ID", "the migration's id (from vm.migrate)"};
  table.Add({.name = "vm.migration_get",
             .summary = "Show a migration's state and progress",
             .positionals = {migration},
             .run = GetMigration});
  table.Add({.name = "vm.migration_cancel",
             .summary = "Cancel a running migration (the VM stays on this host)",
             .positionals = {migration},
             .run = CancelMigration});

  table.Add({.name = "vm.nic_create",
             .summary = "Add a NIC (hot-plugged when the VM runs)",
             .positionals = {vm},
             .keys = NicKeys(),
             .details = "A trunked NIC: the native network's VLAN untagged, the others tagged:\n"
                        "  vm.nic_create fooVM vlan_mode=kTrunked trunked_networks=10,20,30 "
                        "network=vlan.10\n"
                        "A packet processor's NIC, on br.nf and no network:\n"
                        "  vm.nic_create fw1 network_function_nic_type=kIngress",
             .run = NicCreate});
  table.Add(
      {.name = "vm.nic_get", .summary = "Show one NIC", .positionals = {vm, mac}, .run = NicGet});
  table.Add(
      {.name = "vm.nic_list", .summary = "List a VM's NICs", .positionals = {vm}, .run = NicList});
  table.Add({.name = "vm.nic_update",
             .summary = "Change a NIC's network, VLAN mode, trunks or QoS in place",
             .positionals = {vm, mac},
             .keys = NicKeys(),
             .details = "Keys not given keep their current values. Leaving kTrunked drops the "
                        "trunks.",
             .run = NicUpdate});
  table.Add({.name = "vm.nic_delete",
             .summary = "Remove a NIC (hot-unplugged when the VM runs)",
             .positionals = {vm, mac},
             .run = NicDelete});

  table.Add(
      {.name = "vm.disk_create",
       .summary = "Add a disk: a new volume, an existing file or a block device",
       .positionals = {vm},
       .keys = {KeySpec::Size("create_size", "a new volume of this size, e.g. 10G"),
                KeySpec::String("file", "an existing image file on the host"),
                KeySpec::String("block_device", "an existing block device on the host"),
                KeySpec::Enum("bus", "disk bus (default scsi)",
                              {{"scsi", v1::DISK_BUS_SCSI},
                               {"virtio", v1::DISK_BUS_VIRTIO},
                               {"sata", v1::DISK_BUS_SATA},
                               {"ide", v1::DISK_BUS_IDE}}),
                KeySpec::Enum("format", "image format (default raw)",
                              {{"raw", v1::DISK_FORMAT_RAW}, {"qcow2", v1::DISK_FORMAT_QCOW2}}),
                KeySpec::Bool("cdrom", "attach as a CD-ROM"),
                KeySpec::Bool("read_only", "attach read-only")},
       .details = "Exactly one of create_size, file, block_device.",
       .run = DiskCreate});
  table.Add({.name = "vm.disk_list",
             .summary = "List a VM's disks",
             .positionals = {vm},
             .run = DiskList});
  table.Add({.name = "vm.disk_delete",
             .summary = "Remove a disk (and the volume the agent created for it)",
             .positionals = {vm, {"DEVICE", "the disk's device id, e.g. scsi.0"}},
             .keys = {KeySpec::Bool("keep_volume", "keep the backing volume")},
             .run = DiskDelete});
}

}  // namespace hvagent::cli
