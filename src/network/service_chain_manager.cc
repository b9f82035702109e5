#include "hvagent/network/service_chain_manager.h"

#include "hvagent/ovsdb/datum.h"

namespace hvagent::network {

namespace {

using nlohmann::json;

uint32_t OfportOf(const json& interface) {
  const auto ofport = ovsdb::SetElements(interface.at("ofport"));
  if (ofport.size() != 1 || !ofport[0].is_number_integer()) return 0;
  const int64_t value = ofport[0].get<int64_t>();
  return value > 0 && value < 0xff00 ? static_cast<uint32_t>(value) : 0;
}

std::vector<uint32_t> IntsOf(const json& value) {
  std::vector<uint32_t> out;
  for (const json& element : ovsdb::SetElements(value)) {
    if (element.is_number_integer()) out.push_back(element.get<uint32_t>());
  }
  return out;
}

// The VM NIC port `port` (a Port row) as the builder sees it.
openflow::VmNicPort VmNicOf(const json& port, uint32_t ofport, const std::string& mac) {
  openflow::VmNicPort nic{.ofport = ofport, .mac = mac};
  const auto tag = IntsOf(port.at("tag"));
  nic.vlan_id = tag.empty() ? 0 : tag.front();
  nic.trunked = ovsdb::StringOf(port.at("vlan_mode")) == "native-untagged";
  if (nic.trunked) nic.trunks = IntsOf(port.at("trunks"));
  return nic;
}

}  // namespace

StatusOr<openflow::ChainPorts> ServiceChainManager::ReadPorts() {
  HVAGENT_ASSIGN_OR_RETURN(
      const json results,
      ovsdb_.Transact(
          json::array({ovsdb::Select("Bridge", json::array(), {"name", "ports"}),
                       ovsdb::Select("Port", json::array(),
                                     {"_uuid", "name", "tag", "trunks", "vlan_mode", "interfaces"}),
                       ovsdb::Select("Interface", json::array(),
                                     {"_uuid", "name", "ofport", "external_ids", "link_state"})})));
  std::map<std::string, const json*> interfaces;
  for (const json& row : results.at(2).at("rows")) {
    interfaces[ovsdb::UuidOf(row.at("_uuid"))] = &row;
  }
  std::map<std::string, const json*> ports;
  for (const json& row : results.at(1).at("rows")) ports[ovsdb::UuidOf(row.at("_uuid"))] = &row;

  openflow::ChainPorts out;
  for (const json& bridge : results.at(0).at("rows")) {
    const std::string bridge_name = bridge.at("name").get<std::string>();
    if (!IsChainBridge(bridge_name)) continue;
    for (const std::string& port_uuid : ovsdb::UuidsOf(bridge.at("ports"))) {
      const auto port = ports.find(port_uuid);
      if (port == ports.end()) continue;
      const std::string name = port->second->at("name").get<std::string>();
      for (const std::string& iface_uuid : ovsdb::UuidsOf(port->second->at("interfaces"))) {
        const auto iface = interfaces.find(iface_uuid);
        if (iface == interfaces.end()) continue;
        const json& row = *iface->second;
        const uint32_t ofport = OfportOf(row);
        const auto ids = ovsdb::MapOf(row.at("external_ids"));
        const auto mac = ids.find("attached-mac");
        if (bridge_name == kNetworkFunctionBridgeName) {
          if (name == kNfToMicrosegPort) out.nf_to_microseg = ofport;
          if (name == kNfToBr0Port) out.nf_to_br0 = ofport;
          if (ids.count(kNetworkFunctionRoleKey) != 0 && mac != ids.end() && ofport != 0) {
            out.processor_nics[mac->second] = {.ofport = ofport,
                                               .up = ovsdb::StringOf(row.at("link_state")) == "up"};
          }
        } else if (bridge_name == kMicrosegBridgeName) {
          if (name == kMicrosegToLocalPort) out.microseg_to_local = ofport;
          if (name == kMicrosegToNfPort) out.microseg_to_nf = ofport;
        } else {
          if (name == kLocalToMicrosegPort) out.local_to_microseg = ofport;
          if (ids.count("vm-uuid") != 0 && mac != ids.end() && ofport != 0) {
            out.vm_nics.push_back(VmNicOf(*port->second, ofport, mac->second));
          }
        }
      }
    }
  }
  std::sort(out.vm_nics.begin(), out.vm_nics.end(),
            [](const auto& a, const auto& b) { return a.ofport < b.ofport; });
  return out;
}

StatusOr<openflow::FlowChanges> ServiceChainManager::Plan(
    const std::string& bridge, const std::vector<openflow::Flow>& desired) {
  auto present = flows_.DumpAgentFlows(bridge);
  if (!present.ok()) {
    // No bridge and nothing to put on it: nothing to do (the layout is not here).
    if (present.status().code() == absl::StatusCode::kFailedPrecondition && desired.empty()) {
      return openflow::FlowChanges{};
    }
    return present.status();
  }
  return openflow::DiffFlows(desired, *std::move(present));
}

Status ServiceChainManager::Write(const std::string& bridge, const openflow::FlowChanges& changes,
                                  ChainReconcileResult& result) {
  if (changes.empty()) return absl::OkStatus();
  HVAGENT_RETURN_IF_ERROR(flows_.Apply(bridge, changes));
  result.flows_added += changes.add.size();
  result.flows_removed += changes.remove.size();
  return absl::OkStatus();
}

StatusOr<ChainReconcileResult> ServiceChainManager::Reconcile() {
  HVAGENT_ASSIGN_OR_RETURN(const std::vector<openflow::ChainSpec> chains, chains_());
  if (chains.empty() && cleared_without_chains_) return ChainReconcileResult{};
  cleared_without_chains_ = false;  // until this pass has written all it must
  HVAGENT_ASSIGN_OR_RETURN(const openflow::ChainPorts ports, ReadPorts());
  const openflow::ServiceChainFlows flows = openflow::BuildServiceChainFlows(chains, ports);
  HVAGENT_ASSIGN_OR_RETURN(const openflow::FlowChanges nf,
                           Plan(kNetworkFunctionBridgeName, flows.nf));
  HVAGENT_ASSIGN_OR_RETURN(const openflow::FlowChanges microseg,
                           Plan(kMicrosegBridgeName, flows.microseg));
  HVAGENT_ASSIGN_OR_RETURN(const openflow::FlowChanges local, Plan(kLocalBridgeName, flows.local));
  ChainReconcileResult result;
  // br.nf is ready before br0.local steers more up to it; br0.local steers
  // less before br.nf lets go.
  if (local.add.empty()) {
    HVAGENT_RETURN_IF_ERROR(Write(kLocalBridgeName, local, result));
    HVAGENT_RETURN_IF_ERROR(Write(kMicrosegBridgeName, microseg, result));
    HVAGENT_RETURN_IF_ERROR(Write(kNetworkFunctionBridgeName, nf, result));
  } else {
    HVAGENT_RETURN_IF_ERROR(Write(kNetworkFunctionBridgeName, nf, result));
    HVAGENT_RETURN_IF_ERROR(Write(kMicrosegBridgeName, microseg, result));
    HVAGENT_RETURN_IF_ERROR(Write(kLocalBridgeName, local, result));
  }
  result.status = flows.status;
  cleared_without_chains_ = chains.empty();
  std::vector<std::pair<std::string, openflow::ChainStatus>> changed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, status] : flows.status) {
      const auto before = last_status_.find(name);
      // A chain first seen active is no news; any other state, or a change, is.
      const bool news = before == last_status_.end() ? status.state != openflow::ChainState::kActive
                                                     : !(before->second == status);
      if (news) changed.emplace_back(name, status);
    }
    last_status_ = flows.status;
  }
  if (on_status_) {
    for (const auto& [name, status] : changed) on_status_(name, status);
  }
  return result;
}

std::map<std::string, openflow::ChainStatus> ServiceChainManager::Statuses() const {
  std::lock_guard lock(mu_);
  return last_status_;
}

}  // namespace hvagent::network
