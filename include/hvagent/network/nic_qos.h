// Per-NIC QoS on a switch port: ingress policing (what the guest may send,
// Interface.ingress_policing_rate/burst) and an egress rate limit (what the
// switch sends to the guest) through a QoS row: linux-htb with a Queue (a tc
// qdisc, so it works on every kernel-backed port whatever the datapath), or
// egress-policer on DPDK ports. QoS and Queue rows carry external_ids
// owner=hvagent, kind=nic-qos.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/nic_qos.h"
#include "hvagent/common/status.h"
#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kNicQosKind = "nic-qos";

using hvagent::NicQos;

enum class EgressShaper { kLinuxHtb, kEgressPolicer };

// What the port has now, read before the change.
struct CurrentQos {
  nlohmann::json port_qos = ovsdb::EmptySet();
  std::string owned_qos_uuid;  // "" = none to delete
  std::vector<std::string> owned_queue_uuids;
};

// INVALID_ARGUMENT naming the field and the rule (rates fit OVS's columns).
Status ValidateNicQos(const NicQos& qos);

// The one transaction that applies `qos` to `port` (and its interface of the
// same name), replacing the agent's previous QoS rows: pure, for unit tests.
// It fails, changing nothing, if the port's qos column moved since `current`.
nlohmann::json ApplyNicQosOperations(const std::string& port, const NicQos& qos,
                                     EgressShaper shaper, const CurrentQos& current);

class NicQosApplier {
 public:
  explicit NicQosApplier(ovsdb::Transactor& ovsdb) : ovsdb_(ovsdb) {}
  // Applies `qos` to an existing port in one transaction; all zero clears it.
  // NOT_FOUND if there is no such port; FAILED_PRECONDITION if its QoS row is
  // not the agent's. The shaper follows the interface type (dpdk: policer).
  Status ApplyNicQos(const std::string& port_name, const NicQos& qos);
  // What is applied now, read back from OVSDB.
  StatusOr<NicQos> ReadNicQos(const std::string& port_name);

 private:
  ovsdb::Transactor& ovsdb_;
};

}  // namespace hvagent::network
