#include "hvagent/common/interface_link.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "fmt/format.h"

namespace hvagent {

bool InterfaceLinkUp(const std::string& name) {
  ifreq ifr{};
  if (name.empty() || name.size() >= sizeof(ifr.ifr_name)) return false;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  // An ioctl, not /sys: sysfs shows the namespace it was mounted in.
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return false;
  const bool read = ioctl(sock, SIOCGIFFLAGS, &ifr) == 0;
  close(sock);
  return read && (ifr.ifr_flags & IFF_UP) != 0 && (ifr.ifr_flags & IFF_RUNNING) != 0;
}

bool HostInterfaceExists(const std::string& name) {
  return !name.empty() && if_nametoindex(name.c_str()) != 0;
}

namespace {

// The kernel driver behind interface `name` (ethtool's), "" when it has none
// to tell (lo) or cannot be asked.
std::string DriverOf(const std::string& name) {
  ifreq ifr{};
  if (name.size() >= sizeof(ifr.ifr_name)) return "";
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return "";
  const bool read = ioctl(sock, SIOCETHTOOL, &ifr) == 0;
  close(sock);
  return read ? std::string(info.driver) : "";
}

}  // namespace

Status CheckHostInterfaceFree(std::string_view field, const std::string& name) {
  if (!HostInterfaceExists(name)) return absl::OkStatus();
  // Open vSwitch's own interfaces (a kernel datapath's internal ports, the
  // userspace datapath's taps) outlive a database that was reset, until
  // ovs-vswitchd catches up: a bridge made again under its name is no clash.
  const std::string driver = DriverOf(name);
  if (driver == "openvswitch" || driver == "tun") return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("{}: the host already has a network interface named '{}' (outside the switch); "
                  "pick another name",
                  field, name));
}

}  // namespace hvagent
