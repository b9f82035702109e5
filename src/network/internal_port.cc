#include "hvagent/network/internal_port.h"

#include <thread>

#include "hvagent/common/interface_link.h"
#include "hvagent/common/names.h"
#include "hvagent/network/bridge_snapshot.h"
#include "hvagent/network/netlink.h"
#include "hvagent/ovsdb/error.h"
#include "owned_rows.h"
#include "spdlog/spdlog.h"

namespace hvagent::network {

using nlohmann::json;

namespace {

InternalPortSpec FromRow(const rows::OwnedPort& port) {
  return {.name = port.name,
          .bridge = port.bridge,
          .vlan_id = port.tag,
          .network = MapValue(port.external_ids, "network"),
          .address = MapValue(port.external_ids, "address")};
}

}  // namespace

Status ValidateInternalPortSpec(const InternalPortSpec& spec) {
  Status status = ValidateInterfaceName("name", spec.name);
  status.Update(ValidateInterfaceName("bridge", spec.bridge));
  if (spec.vlan_id > 4094) {
    status.Update(absl::InvalidArgumentError(
        fmt::format("vlan_id: {} must be 0 (untagged) or 1–4094", spec.vlan_id)));
  }
  if (!spec.address.empty()) status.Update(ParseIpv4Prefix("address", spec.address).status());
  return status;
}

json CreateInternalPortOperations(const InternalPortSpec& spec) {
  std::map<std::string, std::string> extra{{"network", spec.network}};
  if (!spec.address.empty()) extra["address"] = spec.address;
  json port = {{"vlan_mode", "access"}, {"tag", spec.vlan_id}};
  return rows::AddPortOperations(spec.bridge, spec.name, {{"type", "internal"}}, std::move(port),
                                 rows::OwnerTags(kInternalPortKind, spec.name, extra));
}

Status InternalPortManager::Create(const InternalPortSpec& spec) {
  HVAGENT_RETURN_IF_ERROR(ValidateInternalPortSpec(spec));
  // The common case, a new name, decided on the monitor cache: no read round
  // trip; the guard makes sure the name still is free as the port is added.
  if (const rows::CachedPort cached = rows::LookUpCachedPort(ovsdb_, spec.name);
      cached.cached && !cached.port && CheckHostInterfaceFree("name", spec.name).ok()) {
    json operations = rows::WaitPortNameFree(spec.name);
    for (json& op : CreateInternalPortOperations(spec)) operations.push_back(std::move(op));
    const Status added = ovsdb_.Transact(operations).status();
    if (added.ok()) return AddressOrRemove(spec);
    // A failed wait: the bridge is missing, or the name was taken meanwhile;
    // the server's rows, read below, tell which.
    if (!ovsdb::HasErrorTag(added, ovsdb::error_tag::kTimedOut)) return added;
  }
  HVAGENT_ASSIGN_OR_RETURN(const auto existing, rows::FindPort(ovsdb_, spec.name));
  if (existing) {
    HVAGENT_RETURN_IF_ERROR(rows::CheckRetriedCreate(
        *existing, kInternalPortKind, FromRow(*existing) == spec, "internal port",
        "an internal port", "another bridge, VLAN or address"));
    return SetAddress(spec);  // a retry: make sure of the address too
  }
  HVAGENT_RETURN_IF_ERROR(CheckHostInterfaceFree("name", spec.name));
  HVAGENT_RETURN_IF_ERROR(rows::ExplainBridgeWait(
      ovsdb_.Transact(CreateInternalPortOperations(spec)).status(), spec.bridge));
  return AddressOrRemove(spec);
}

Status InternalPortManager::AddressOrRemove(const InternalPortSpec& spec) {
  if (Status address = SetAddress(spec); !address.ok()) {
    // All or nothing: a port without its requested address is not what was asked.
    if (Status undone = rows::DeleteOwnedPort(ovsdb_, kInternalPortKind, spec.name); !undone.ok()) {
      spdlog::error("internal port {}: its address failed and the port stays: {}", spec.name,
                    undone);
    }
    return address;
  }
  return absl::OkStatus();
}

Status InternalPortManager::SetAddress(const InternalPortSpec& spec) {
  if (spec.address.empty()) return absl::OkStatus();
  HVAGENT_ASSIGN_OR_RETURN(const Ipv4Prefix prefix, ParseIpv4Prefix("address", spec.address));
  HVAGENT_ASSIGN_OR_RETURN(NetlinkSocket nl, NetlinkSocket::Open());
  // ovs-vswitchd makes the kernel interface after the commit: wait for it.
  const auto deadline = std::chrono::steady_clock::now() + interface_timeout_;
  while (!nl.IndexOf(spec.name).ok()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError(
          fmt::format("ovs-vswitchd did not create the interface '{}' within {} ms", spec.name,
                      interface_timeout_.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HVAGENT_RETURN_IF_ERROR(nl.AddIpv4Address(spec.name, prefix));
  return nl.SetUp(spec.name);
}

StatusOr<std::vector<InternalPortSpec>> InternalPortManager::List() {
  return rows::ListOwnedPortsAs(ovsdb_, kInternalPortKind, FromRow);
}

Status InternalPortManager::Delete(const std::string& name) {
  return rows::DeleteOwnedPort(ovsdb_, kInternalPortKind, name);
}

}  // namespace hvagent::network
