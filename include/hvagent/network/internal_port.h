// Host interfaces on a VLAN: OVS ports of type internal with an access tag,
// optionally given an IPv4 address through rtnetlink. Every row carries
// external_ids owner=hvagent, kind=internal-port, name, network, so a restarted
// agent lists them from OVSDB alone; ports it did not make are left alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kInternalPortKind = "internal-port";

struct InternalPortSpec {
  std::string name;      // the host interface, 1–15 characters
  std::string bridge;    // the OVS bridge
  uint32_t vlan_id = 0;  // 0 = untagged, else 1–4094
  std::string network;   // the named network it stands for (informational)
  std::string address;   // "" or IPv4 with prefix, e.g. "10.0.10.5/24"
  bool operator==(const InternalPortSpec&) const = default;
};

// INVALID_ARGUMENT naming the field and the rule.
Status ValidateInternalPortSpec(const InternalPortSpec& spec);

// The one transaction that adds the port: pure, for unit tests.
nlohmann::json CreateInternalPortOperations(const InternalPortSpec& spec);

class InternalPortManager {
 public:
  // `interface_timeout`: how long ovs-vswitchd may take to make the kernel
  // interface before its address can be set.
  explicit InternalPortManager(
      ovsdb::Transactor& ovsdb,
      std::chrono::milliseconds interface_timeout = std::chrono::seconds(20))
      : ovsdb_(ovsdb), interface_timeout_(interface_timeout) {}

  // Adds the port and sets its address. Idempotent for the same spec;
  // ALREADY_EXISTS if a port of that name exists with another spec or owner;
  // FAILED_PRECONDITION if the bridge is missing. On a failed address the port
  // is removed again.
  Status Create(const InternalPortSpec& spec);
  StatusOr<std::vector<InternalPortSpec>> List();
  // NOT_FOUND if missing; FAILED_PRECONDITION if not an agent internal port.
  Status Delete(const std::string& name);

 private:
  Status SetAddress(const InternalPortSpec& spec);
  // For a port just added: its address, or (all or nothing) no port.
  Status AddressOrRemove(const InternalPortSpec& spec);

  ovsdb::Transactor& ovsdb_;
  const std::chrono::milliseconds interface_timeout_;
};

}  // namespace hvagent::network
