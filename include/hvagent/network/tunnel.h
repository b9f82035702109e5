// VXLAN tunnel ports: an OVS port of type vxlan towards a peer host, so the
// OVS instances of several hosts act as one logical switch. Rows carry
// external_ids owner=hvagent, kind=tunnel, name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kTunnelKind = "tunnel";
inline constexpr uint32_t kMaxVni = 16777215;  // 24 bits
inline constexpr uint32_t kDefaultVxlanPort = 4789;

struct TunnelSpec {
  std::string name;  // 1–15 characters
  std::string bridge;
  std::string remote_ip;  // the peer's underlay IPv4 or IPv6 address
  uint32_t vni = 0;       // options:key, 0–16777215
  std::string local_ip;   // optional, same family as remote_ip
  uint32_t dst_port = 0;  // 0 = 4789 (OVS's default)
  bool operator==(const TunnelSpec&) const = default;
};

// INVALID_ARGUMENT naming the field and the rule.
Status ValidateTunnelSpec(const TunnelSpec& spec);
// The one transaction that adds the tunnel port: pure, for unit tests.
nlohmann::json CreateTunnelOperations(const TunnelSpec& spec);

class TunnelManager {
 public:
  explicit TunnelManager(ovsdb::Transactor& ovsdb) : ovsdb_(ovsdb) {}
  // Idempotent for the same spec; ALREADY_EXISTS for a port of that name with
  // another spec or owner; FAILED_PRECONDITION if the bridge is missing.
  Status Create(const TunnelSpec& spec);
  StatusOr<std::vector<TunnelSpec>> List();
  // NOT_FOUND if missing; FAILED_PRECONDITION if not an agent tunnel.
  Status Delete(const std::string& name);

 private:
  ovsdb::Transactor& ovsdb_;
};

}  // namespace hvagent::network
