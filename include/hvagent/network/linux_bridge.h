// virbr0: the plain Linux bridge that carries management and storage traffic
// between the CVM and its host (192.168.5.0/24 by default, the host on .1).
// Made through rtnetlink, idempotently; the CVM's second NIC (a tap) is
// attached to it.
#pragma once

#include <string>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/network/netlink.h"

namespace hvagent::network {

struct LinuxBridgeSpec {
  std::string name = "virbr0";
  // The host's address and the subnet's prefix length.
  Ipv4Prefix host = {.address = (192U << 24) | (168U << 16) | (5U << 8) | 1U, .prefix_len = 24};
};

// From config: `cidr` is the subnet ("192.168.5.0/24": the host takes the
// first address, .1) or the host's address in it ("192.168.5.254/24").
// Prefix lengths 8–30. INVALID_ARGUMENT naming `field` otherwise.
StatusOr<LinuxBridgeSpec> ParseLinuxBridgeSpec(const std::string& name, std::string_view field,
                                               std::string_view cidr);

struct LinuxBridgeState {
  std::string name;
  std::string subnet;        // "192.168.5.0/24"
  std::string host_address;  // "192.168.5.1"
  std::vector<std::string> ports;
};

class LinuxBridge {
 public:
  // Creates the bridge if missing, sets it up and gives it the host address.
  // FAILED_PRECONDITION if the name is taken by a link that is not a bridge.
  static Status Ensure(const LinuxBridgeSpec& spec);
  // Attaches `ifname` (e.g. the CVM's tap) to the bridge and sets it up.
  static Status Attach(const std::string& bridge, const std::string& ifname);
  // NOT_FOUND if the bridge does not exist.
  static StatusOr<LinuxBridgeState> Describe(const LinuxBridgeSpec& spec);
};

}  // namespace hvagent::network
