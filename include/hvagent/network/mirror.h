// Port mirroring: copies of the traffic entering or leaving chosen ports,
// and/or on chosen VLANs, sent out of an output port (which OVS then uses for
// nothing else). Mirror rows carry external_ids owner=hvagent, kind=mirror, name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::network {

inline constexpr const char* kMirrorKind = "mirror";

struct MirrorSpec {
  std::string name;                           // 1–64 characters [A-Za-z0-9_.-]
  std::string bridge;                         // every port named below must be on it
  std::vector<std::string> select_src_ports;  // packets entering the switch from these
  std::vector<std::string> select_dst_ports;  // packets leaving the switch to these
  std::vector<uint32_t> select_vlans;         // 1–4094
  bool select_all = false;
  std::string output_port;
  bool operator==(const MirrorSpec&) const = default;
};

// INVALID_ARGUMENT naming the field and the rule: a selection (or select_all)
// and an output port are required; the output port cannot be a selected one.
Status ValidateMirrorSpec(const MirrorSpec& spec);

// The one transaction that adds the mirror, given the Port row uuid of every
// port the spec names (pure, for unit tests).
nlohmann::json CreateMirrorOperations(const MirrorSpec& spec,
                                      const std::map<std::string, std::string>& port_uuids);

class MirrorManager {
 public:
  explicit MirrorManager(ovsdb::Transactor& ovsdb) : ovsdb_(ovsdb) {}
  // Idempotent for the same spec; ALREADY_EXISTS for another mirror of that
  // name; FAILED_PRECONDITION if the bridge or a port is missing, or a port is
  // on another bridge.
  Status Create(const MirrorSpec& spec);
  StatusOr<std::vector<MirrorSpec>> List();
  // NOT_FOUND if missing; FAILED_PRECONDITION if not the agent's.
  Status Delete(const std::string& name);

 private:
  ovsdb::Transactor& ovsdb_;
};

}  // namespace hvagent::network
