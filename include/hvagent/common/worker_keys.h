// The keys of the worker pool (WorkerPool::Submit): work under one key runs in
// order, one at a time. Every caller names its key here, so that two paths
// that must not race (an RPC and the daemon's own upkeep) use the same one.
#pragma once

#include <string>
#include <string_view>

namespace hvagent::worker_keys {

// Bridges and bonds (and the daemon's br0 upkeep): rare, and they touch each other.
inline constexpr std::string_view kSwitch = "switch";
// Networks: the count checked against the limit cannot race another create.
inline constexpr std::string_view kNetworks = "networks";
// The daemon's reconcile of running VMs' ports.
inline constexpr std::string_view kReconcile = "reconcile";
// The host's CPU baseline: one SetCpuBaseline at a time.
inline constexpr std::string_view kCpuBaseline = "cpu-baseline";
// Service chains: their changes and the reconcile of their flows (one at a
// time: a chain is checked against every other).
inline constexpr std::string_view kServiceChains = "service-chains";
// The daemon's domain-type probe when libvirt was unreachable at start.
inline constexpr std::string_view kDomainType = "domain-type";

// One VM: its lifecycle, devices and reconcile.
inline std::string Vm(std::string_view name) { return "vm/" + std::string(name); }
// One Port-table name, whatever its kind (internal port, tunnel).
inline std::string Port(std::string_view name) { return "port:" + std::string(name); }
inline bool IsPort(std::string_view key) { return key.starts_with("port:"); }
// One migration, by operation id (its cancel).
inline std::string Migration(std::string_view id) { return "migration/" + std::string(id); }
inline std::string Mirror(std::string_view name) { return "mirror:" + std::string(name); }

}  // namespace hvagent::worker_keys
