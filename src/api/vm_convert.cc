// VmService's conversions between hvagent.v1 messages and compute's VmConfig.
// Input is checked here as far as the proto alone allows (field names follow
// the request); compute::ValidateVmConfig checks the rest.
#include "hvagent/api/vm_convert.h"

#include <google/protobuf/util/time_util.h>

#include "hvagent/common/names.h"
#include "hvagent/cpu/cpu_description.h"
#include "hvagent/network/bridge_chain.h"
#include "hvagent/network/nic_qos.h"
#include "proto_enum_maps.h"

namespace hvagent::api {

v1::PowerState ToPowerState(libvirt::DomainState state) {
  return kPowerStates.To(state).value_or(v1::POWER_STATE_UNSPECIFIED);
}

namespace {

// proto3 enums are open: a value this agent does not know is refused, never
// read as the default.
Status CheckKnown(const std::string& field, int value, bool (*is_valid)(int)) {
  if (is_valid(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      fmt::format("{}: {} is not a value this agent knows", field, value));
}

v1::NicType NicTypeToProto(NicType type) {
  return kNicTypes.To(type).value_or(v1::NIC_TYPE_NORMAL);
}

v1::NetworkFunctionNicRole RoleToProto(NetworkFunctionRole role) {
  return kRoles.To(role).value_or(v1::NETWORK_FUNCTION_NIC_ROLE_UNSPECIFIED);
}

}  // namespace

StatusOr<compute::NicConfig> NicConfigFromSpec(const std::string& field, const v1::NicSpec& nic) {
  HVAGENT_RETURN_IF_ERROR(CheckKnown(field + ".type", nic.type(), v1::NicType_IsValid));
  HVAGENT_RETURN_IF_ERROR(CheckKnown(field + ".vlan_mode", nic.vlan_mode(), v1::VlanMode_IsValid));
  HVAGENT_RETURN_IF_ERROR(CheckKnown(field + ".network_function_role", nic.network_function_role(),
                                     v1::NetworkFunctionNicRole_IsValid));
  compute::NicConfig out{.mac = nic.mac(), .network = nic.network()};
  if (nic.type() == v1::NIC_TYPE_NETWORK_FUNCTION) {
    // A packet processor's NIC: on br.nf, steered to by service chains.
    out.type = NicType::kNetworkFunction;
    const std::optional<NetworkFunctionRole> role = kRoles.From(nic.network_function_role());
    if (!role.has_value()) {
      return absl::InvalidArgumentError(fmt::format(
          "{}.network_function_role: a NIC_TYPE_NETWORK_FUNCTION NIC needs a role (INGRESS, "
          "EGRESS or TAP; acli's network_function_nic_type)",
          field));
    }
    out.role = *role;
    if (!nic.network().empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}.network: a NIC_TYPE_NETWORK_FUNCTION NIC plugs into br.nf, on no "
                      "network (is '{}')",
                      field, nic.network()));
    }
    if (nic.vlan_mode() == v1::VLAN_MODE_TRUNKED || nic.trunked_vlans_size() > 0) {
      return absl::InvalidArgumentError(fmt::format(
          "{}.vlan_mode: a NIC_TYPE_NETWORK_FUNCTION NIC carries no VLANs of its own", field));
    }
  } else {
    if (nic.network_function_role() != v1::NETWORK_FUNCTION_NIC_ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(fmt::format(
          "{}.network_function_role: only a NIC_TYPE_NETWORK_FUNCTION NIC has a role", field));
    }
    if (nic.type() == v1::NIC_TYPE_DIRECT) out.type = NicType::kDirect;
    HVAGENT_RETURN_IF_ERROR(ValidateResourceName(field + ".network", nic.network()));
  }
  out.qos = {.ingress_rate_kbps = nic.qos().ingress_rate_kbps(),
             .ingress_burst_kb = nic.qos().ingress_burst_kb(),
             .egress_rate_kbps = nic.qos().egress_rate_kbps()};
  if (Status qos = network::ValidateNicQos(out.qos); !qos.ok()) {
    return Status(qos.code(), fmt::format("{}.qos.{}", field, MessageOf(qos)));
  }
  if (!nic.model().empty()) out.model = nic.model();
  if (nic.vlan_mode() == v1::VLAN_MODE_TRUNKED) {
    out.vlan_mode = compute::VlanMode::kTrunked;
    out.trunked_vlans.assign(nic.trunked_vlans().begin(), nic.trunked_vlans().end());
  } else if (nic.trunked_vlans_size() > 0) {
    return absl::InvalidArgumentError(
        fmt::format("{}.trunked_vlans: only a VLAN_MODE_TRUNKED NIC carries trunked VLANs", field));
  }
  return out;
}

StatusOr<compute::DiskConfig> DiskConfigFromSpec(const std::string& field,
                                                 const v1::DiskSpec& disk) {
  HVAGENT_RETURN_IF_ERROR(CheckKnown(field + ".bus", disk.bus(), v1::DiskBus_IsValid));
  HVAGENT_RETURN_IF_ERROR(CheckKnown(field + ".format", disk.format(), v1::DiskFormat_IsValid));
  compute::DiskConfig out;
  out.bus = kDiskBuses.From(disk.bus()).value_or(compute::DiskBus::kScsi);
  out.cdrom = disk.cdrom();
  out.read_only = disk.read_only() || disk.cdrom();
  if (disk.format() == v1::DISK_FORMAT_QCOW2) out.format = compute::DiskFormat::kQcow2;
  switch (disk.source_case()) {
    case v1::DiskSpec::kCreateSizeBytes:
      if (disk.create_size_bytes() < (1ULL << 20)) {
        return absl::InvalidArgumentError(
            fmt::format("{}.create_size_bytes: must be at least 1 MiB", field));
      }
      if (disk.cdrom()) {
        return absl::InvalidArgumentError(fmt::format(
            "{}.create_size_bytes: a cdrom takes an existing image (file_path)", field));
      }
      out.agent_created = true;
      out.size_bytes = disk.create_size_bytes();
      break;
    case v1::DiskSpec::kFilePath: out.path = disk.file_path(); break;
    case v1::DiskSpec::kBlockDevice:
      out.source_type = compute::DiskSourceType::kBlock;
      out.path = disk.block_device();
      break;
    default:
      return absl::InvalidArgumentError(
          fmt::format("{}: one of create_size_bytes, file_path, block_device is required", field));
  }
  return out;
}

StatusOr<compute::VmConfig> VmConfigFromSpec(const v1::VmSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateResourceName("spec.name", spec.name()));
  if (spec.num_vcpus() == 0) {
    return absl::InvalidArgumentError("spec.num_vcpus: must be at least 1");
  }
  HVAGENT_RETURN_IF_ERROR(
      CheckKnown("spec.boot.device", spec.boot().device(), v1::BootDevice_IsValid));
  compute::VmConfig config;
  config.name = spec.name();
  config.vcpus = spec.num_vcpus();
  config.cores_per_socket = spec.num_cores_per_vcpu() == 0 ? 1 : spec.num_cores_per_vcpu();
  config.threads_per_core = spec.num_threads_per_core() == 0 ? 1 : spec.num_threads_per_core();
  config.memory_bytes = spec.memory_bytes();
  if (!spec.machine_type().empty()) config.machine = spec.machine_type();
  config.boot = kBootDevices.From(spec.boot().device()).value_or(compute::BootDevice::kDisk);
  config.kernel_path = spec.boot().kernel_path();
  config.initrd_path = spec.boot().initrd_path();
  config.kernel_cmdline = spec.boot().kernel_cmdline();
  for (int i = 0; i < spec.nics_size(); ++i) {
    HVAGENT_ASSIGN_OR_RETURN(compute::NicConfig nic,
                             NicConfigFromSpec(fmt::format("spec.nics[{}]", i), spec.nics(i)));
    config.nics.push_back(std::move(nic));
  }
  for (int i = 0; i < spec.disks_size(); ++i) {
    HVAGENT_ASSIGN_OR_RETURN(compute::DiskConfig disk,
                             DiskConfigFromSpec(fmt::format("spec.disks[{}]", i), spec.disks(i)));
    config.disks.push_back(std::move(disk));
  }
  for (const auto& [key, value] : spec.labels().entries()) config.labels[key] = value;
  config.cpu_model_override = spec.cpu_model_override();
  return config;
}

void DiskToProto(const compute::DiskConfig& disk, v1::Disk* out) {
  out->set_device_id(disk.target);
  out->set_path(disk.path);
  out->set_size_bytes(disk.size_bytes);
  out->set_agent_created(disk.agent_created);
  v1::DiskSpec* spec = out->mutable_spec();
  spec->set_bus(*kDiskBuses.To(disk.bus));
  spec->set_format(disk.format == compute::DiskFormat::kQcow2 ? v1::DISK_FORMAT_QCOW2
                                                              : v1::DISK_FORMAT_RAW);
  spec->set_cdrom(disk.cdrom);
  spec->set_read_only(disk.read_only);
  if (disk.agent_created) {
    spec->set_create_size_bytes(disk.size_bytes);
  } else if (disk.source_type == compute::DiskSourceType::kBlock) {
    spec->set_block_device(disk.path);
  } else {
    spec->set_file_path(disk.path);
  }
}

v1::CpuStanding ToCpuStanding(compute::CpuStanding standing) {
  return kCpuStandings.To(standing).value_or(v1::CPU_STANDING_UNSPECIFIED);
}

void VmStatusToProto(const compute::VmStatus& status, v1::Vm* out) {
  const compute::VmConfig& c = status.config;
  out->set_uuid(c.uuid);
  out->set_power_state(ToPowerState(status.state));
  out->set_external(c.external);
  out->set_cpu_time_ns(status.cpu_time_ns);
  out->set_memory_used_bytes(status.memory_used_bytes);
  out->set_generation(c.generation);
  out->set_console_log_path(c.console_log_path);
  out->set_cpu_standing(ToCpuStanding(status.cpu_standing));
  if (!c.cpu_baseline_xml.empty()) {
    if (auto cpu = cpu::ParseCpuXml(c.cpu_baseline_xml, "cpu"); cpu.ok()) {
      out->set_cpu_model(cpu->model);
    }
  }
  if (status.started_unix_ms) {
    *out->mutable_started() =
        google::protobuf::util::TimeUtil::MillisecondsToTimestamp(*status.started_unix_ms);
  }
  v1::VmSpec* spec = out->mutable_spec();
  spec->set_name(c.name);
  spec->set_num_vcpus(c.vcpus);
  spec->set_num_cores_per_vcpu(c.cores_per_socket);
  spec->set_num_threads_per_core(c.threads_per_core);
  spec->set_memory_bytes(c.memory_bytes);
  spec->set_machine_type(c.machine);
  v1::BootConfig* boot = spec->mutable_boot();
  boot->set_device(*kBootDevices.To(c.boot));
  boot->set_kernel_path(c.kernel_path);
  boot->set_initrd_path(c.initrd_path);
  boot->set_kernel_cmdline(c.kernel_cmdline);
  spec->set_cpu_model_override(c.cpu_model_override);
  for (const auto& [key, value] : c.labels)
    (*spec->mutable_labels()->mutable_entries())[key] = value;
  for (const compute::NicConfig& nic : c.nics) {
    v1::Nic* n = out->add_nics();
    n->set_mac(nic.mac);
    n->set_tap(nic.tap);
    n->set_bridge(network::VmPortBridge(nic.type, nic.bridge));
    const auto link = status.link_up.find(nic.tap);
    n->set_link_up(link != status.link_up.end() && link->second);
    v1::NicSpec* s = n->mutable_spec();
    s->set_network(nic.network);
    s->set_mac(nic.mac);
    s->set_model(nic.model);
    s->set_vlan_mode(nic.vlan_mode == compute::VlanMode::kTrunked ? v1::VLAN_MODE_TRUNKED
                                                                  : v1::VLAN_MODE_ACCESS);
    for (const uint32_t vlan : nic.trunked_vlans) s->add_trunked_vlans(vlan);
    s->set_type(NicTypeToProto(nic.type));
    s->set_network_function_role(RoleToProto(nic.role));
    s->mutable_qos()->set_ingress_rate_kbps(nic.qos.ingress_rate_kbps);
    s->mutable_qos()->set_ingress_burst_kb(nic.qos.ingress_burst_kb);
    s->mutable_qos()->set_egress_rate_kbps(nic.qos.egress_rate_kbps);
    *spec->add_nics() = *s;
  }
  for (const compute::DiskConfig& disk : c.disks) {
    DiskToProto(disk, out->add_disks());
    *spec->add_disks() = out->disks(out->disks_size() - 1).spec();
  }
}

}  // namespace hvagent::api
