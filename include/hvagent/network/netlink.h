// Link and address changes through rtnetlink, the kernel's own interface for
// them (what `ip` uses underneath): no shelling out. One socket per
// NetlinkSocket, owned by it; calls are synchronous and wait for the kernel's
// acknowledgement. Acts on the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent::network {

// An IPv4 address with its prefix length, e.g. 192.168.5.1/24.
struct Ipv4Prefix {
  uint32_t address = 0;  // host byte order
  int prefix_len = 32;

  std::string AddressString() const;
  std::string ToString() const;  // "a.b.c.d/len"
  uint32_t Network() const;      // the address with the host bits cleared
  bool operator==(const Ipv4Prefix&) const = default;
};

// Parses "a.b.c.d/len" (len 0–32); INVALID_ARGUMENT naming `field` otherwise.
StatusOr<Ipv4Prefix> ParseIpv4Prefix(std::string_view field, std::string_view text);

class NetlinkSocket {
 public:
  static StatusOr<NetlinkSocket> Open();
  ~NetlinkSocket();
  NetlinkSocket(NetlinkSocket&& other) noexcept;
  NetlinkSocket& operator=(NetlinkSocket&& other) noexcept;
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // The interface index; NOT_FOUND if there is no such interface.
  StatusOr<int> IndexOf(const std::string& name);
  // The link's rtnetlink kind ("bridge", "veth", "tun", …; "" when it has none).
  StatusOr<std::string> LinkKind(const std::string& name);
  // Creates a Linux bridge; ALREADY_EXISTS if `name` exists (whatever it is).
  Status CreateBridge(const std::string& name);
  Status DeleteLink(const std::string& name);
  Status SetUp(const std::string& name);
  // Enslaves `name` to the bridge `master`.
  Status SetMaster(const std::string& name, const std::string& master);
  // Names of the links whose master is `master`, sorted.
  StatusOr<std::vector<std::string>> LinksWithMaster(const std::string& master);
  // Adds the address (replacing the same address's settings): idempotent.
  Status AddIpv4Address(const std::string& name, const Ipv4Prefix& prefix);
  StatusOr<std::vector<Ipv4Prefix>> Ipv4Addresses(const std::string& name);

 private:
  explicit NetlinkSocket(int fd) : fd_(fd) {}
  // Sends one request and waits for its ACK (or error); NLM_F_ACK is added.
  Status Request(std::vector<char> message, const std::string& what);
  // Sends a dump request and returns every answered message's bytes.
  StatusOr<std::vector<std::vector<char>>> Dump(std::vector<char> message, const std::string& what);

  int fd_ = -1;
  uint32_t sequence_ = 0;
};

}  // namespace hvagent::network
