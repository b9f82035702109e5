#include "hvagent/common/interface_link.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

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

Status CheckHostInterfaceFree(std::string_view field, const std::string& name) {
  if (!HostInterfaceExists(name)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("{}: the host already has a network interface named '{}' (outside the switch); "
                  "pick another name",
                  field, name));
}

}  // namespace hvagent
