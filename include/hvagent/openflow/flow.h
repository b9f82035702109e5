// One OpenFlow flow as the agent owns it, in the text ovs-ofctl reads and
// dump-flows prints back, so that a flow read from the switch compares equal
// to the one the agent built (the "nothing drifted, nothing written" check).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "hvagent/common/status.h"

namespace hvagent::openflow {

// The agent's cookies: the top 16 bits say "hvagent" ("HV"), the low 48 bits
// name what the flow belongs to (a service chain's id, or 0 for the plumbing
// the chains share). Only flows under this prefix are read, changed or deleted.
inline constexpr uint64_t kCookiePrefix = 0x4856000000000000ULL;
inline constexpr uint64_t kCookiePrefixMask = 0xffff000000000000ULL;
inline constexpr uint64_t kCookieIdMask = 0x0000ffffffffffffULL;
inline constexpr uint64_t CookieFor(uint64_t id) { return kCookiePrefix | (id & kCookieIdMask); }
inline constexpr bool IsAgentCookie(uint64_t cookie) {
  return (cookie & kCookiePrefixMask) == kCookiePrefix;
}

struct Flow {
  uint64_t cookie = 0;
  uint8_t table = 0;
  uint16_t priority = 0;
  // Match fields in the order dump-flows prints them (in_port, dl_vlan or
  // vlan_tci, dl_src, dl_dst), comma-separated; empty matches everything.
  std::string match;
  // The action list as dump-flows prints it (e.g. "output:3,IN_PORT").
  std::string actions;

  friend bool operator==(const Flow& a, const Flow& b) {
    return std::tie(a.cookie, a.table, a.priority, a.match, a.actions) ==
           std::tie(b.cookie, b.table, b.priority, b.match, b.actions);
  }
  friend bool operator<(const Flow& a, const Flow& b) {
    return std::tie(a.table, a.priority, a.match, a.cookie, a.actions) <
           std::tie(b.table, b.priority, b.match, b.cookie, b.actions);
  }
};

// The line `ovs-ofctl --no-names --no-stats dump-flows` prints for `flow`
// (without its leading space), e.g.
// "cookie=0x4856000000000001, table=50, priority=100,dl_vlan=10 actions=output:2".
std::string DumpLine(const Flow& flow);
// A dump-flows line back into a Flow; INVALID_ARGUMENT naming the line when
// it is not one.
StatusOr<Flow> ParseDumpLine(std::string_view line);

// The lines of an `ovs-ofctl add-flows` file: "add …" with everything, and
// "delete_strict …" that removes exactly this flow and only under its cookie.
std::string AddFlowLine(const Flow& flow);
std::string DeleteStrictLine(const Flow& flow);

}  // namespace hvagent::openflow
