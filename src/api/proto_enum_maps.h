// The enums of hvagent.v1 and their counterparts in the compute, libvirt and
// network modules, one table each (common/enum_map.h): every conversion in
// either direction reads these, and nothing else says which value is which.
// Private to the api module.
#pragma once

#include "hvagent/api/network_convert.h"
#include "hvagent/api/vm_convert.h"
#include "hvagent/common/enum_map.h"

namespace hvagent::api {

// Where a table has an extra pair for an UNSPECIFIED proto value, that pair
// is read only from the proto: a spec that leaves the field out gets the
// default. A proto value in no pair is refused or defaulted by the caller.

inline constexpr auto kPortKinds = MakeEnumMap<network::PortKind, v1::PortKind>({
    {network::PortKind::kInternal, v1::PORT_KIND_INTERNAL},
    {network::PortKind::kTap, v1::PORT_KIND_TAP},
    {network::PortKind::kVxlan, v1::PORT_KIND_VXLAN},
    {network::PortKind::kBond, v1::PORT_KIND_BOND},
    {network::PortKind::kPatch, v1::PORT_KIND_PATCH},
    {network::PortKind::kOther, v1::PORT_KIND_OTHER},
});

inline constexpr auto kBondModes = MakeEnumMap<network::BondMode, v1::BondMode>({
    {network::BondMode::kActiveBackup, v1::BOND_MODE_ACTIVE_BACKUP},
    {network::BondMode::kBalanceSlb, v1::BOND_MODE_BALANCE_SLB},
    {network::BondMode::kBalanceTcp, v1::BOND_MODE_BALANCE_TCP},
    {network::BondMode::kActiveBackup, v1::BOND_MODE_UNSPECIFIED},
});
inline constexpr auto kLacpModes = MakeEnumMap<network::LacpMode, v1::LacpMode>({
    {network::LacpMode::kOff, v1::LACP_MODE_OFF},
    {network::LacpMode::kActive, v1::LACP_MODE_ACTIVE},
    {network::LacpMode::kPassive, v1::LACP_MODE_PASSIVE},
    {network::LacpMode::kOff, v1::LACP_MODE_UNSPECIFIED},
});
inline constexpr auto kLacpTimes = MakeEnumMap<network::LacpTime, v1::LacpTime>({
    {network::LacpTime::kSlow, v1::LACP_TIME_SLOW},
    {network::LacpTime::kFast, v1::LACP_TIME_FAST},
    {network::LacpTime::kSlow, v1::LACP_TIME_UNSPECIFIED},
});

inline constexpr auto kPowerStates = MakeEnumMap<libvirt::DomainState, v1::PowerState>({
    {libvirt::DomainState::kRunning, v1::POWER_STATE_ON},
    {libvirt::DomainState::kBlocked, v1::POWER_STATE_ON},
    {libvirt::DomainState::kPaused, v1::POWER_STATE_PAUSED},
    {libvirt::DomainState::kShuttingDown, v1::POWER_STATE_SHUTTING_DOWN},
    {libvirt::DomainState::kShutOff, v1::POWER_STATE_OFF},
    {libvirt::DomainState::kCrashed, v1::POWER_STATE_CRASHED},
    {libvirt::DomainState::kSuspended, v1::POWER_STATE_SUSPENDED},
});
inline constexpr auto kNicTypes = MakeEnumMap<NicType, v1::NicType>({
    {NicType::kNormal, v1::NIC_TYPE_NORMAL},
    {NicType::kDirect, v1::NIC_TYPE_DIRECT},
    {NicType::kNetworkFunction, v1::NIC_TYPE_NETWORK_FUNCTION},
});
inline constexpr auto kRoles = MakeEnumMap<NetworkFunctionRole, v1::NetworkFunctionNicRole>({
    {NetworkFunctionRole::kIngress, v1::NETWORK_FUNCTION_NIC_ROLE_INGRESS},
    {NetworkFunctionRole::kEgress, v1::NETWORK_FUNCTION_NIC_ROLE_EGRESS},
    {NetworkFunctionRole::kTap, v1::NETWORK_FUNCTION_NIC_ROLE_TAP},
});
inline constexpr auto kDiskBuses = MakeEnumMap<compute::DiskBus, v1::DiskBus>({
    {compute::DiskBus::kScsi, v1::DISK_BUS_SCSI},
    {compute::DiskBus::kVirtio, v1::DISK_BUS_VIRTIO},
    {compute::DiskBus::kSata, v1::DISK_BUS_SATA},
    {compute::DiskBus::kIde, v1::DISK_BUS_IDE},
});
inline constexpr auto kBootDevices = MakeEnumMap<compute::BootDevice, v1::BootDevice>({
    {compute::BootDevice::kDisk, v1::BOOT_DEVICE_DISK},
    {compute::BootDevice::kCdrom, v1::BOOT_DEVICE_CDROM},
    {compute::BootDevice::kNetwork, v1::BOOT_DEVICE_NETWORK},
    {compute::BootDevice::kKernel, v1::BOOT_DEVICE_KERNEL},
});
inline constexpr auto kCpuStandings = MakeEnumMap<compute::CpuStanding, v1::CpuStanding>({
    {compute::CpuStanding::kUnknown, v1::CPU_STANDING_UNSPECIFIED},
    {compute::CpuStanding::kNoBaseline, v1::CPU_STANDING_NO_BASELINE},
    {compute::CpuStanding::kAt, v1::CPU_STANDING_AT_BASELINE},
    {compute::CpuStanding::kBelow, v1::CPU_STANDING_BELOW_BASELINE},
    {compute::CpuStanding::kAbove, v1::CPU_STANDING_ABOVE_BASELINE},
    {compute::CpuStanding::kDifferent, v1::CPU_STANDING_DIFFERENT},
});

}  // namespace hvagent::api
