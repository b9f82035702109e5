#include "hvagent/network/tap_device.h"

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "hvagent/common/errno_message.h"

namespace hvagent::network {

namespace {

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status CheckName(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        fmt::format("tap name '{}' must be 1–{} characters", name, IFNAMSIZ - 1));
  }
  return absl::OkStatus();
}

Status Errno(const std::string& what, const std::string& name) {
  const int err = errno;
  const absl::StatusCode code = err == EPERM || err == EACCES ? absl::StatusCode::kPermissionDenied
                                : err == EBUSY ? absl::StatusCode::kFailedPrecondition
                                               : absl::StatusCode::kInternal;
  return Status(code, fmt::format("{} tap '{}': {}", what, name, ErrnoMessage(err)));
}

// Attaches to (or creates) the tap through /dev/net/tun.
StatusOr<int> OpenTap(const std::string& name) {
  const int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open /dev/net/tun for", name);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    Status error = Errno("attach to", name);
    close(fd);
    return error;
  }
  return fd;
}

// Ioctls, not /sys: sysfs shows the network namespace it was mounted in, which
// need not be the agent's.
bool InterfaceExists(const std::string& name) { return if_nametoindex(name.c_str()) != 0; }

// Whether the interface `name` is run by the tun driver, asked through the
// socket `sock`.
bool IsTunDriven(const Fd& sock, const std::string& name) {
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_data = reinterpret_cast<char*>(&info);
  return ioctl(sock.get(), SIOCETHTOOL, &ifr) == 0 && std::strcmp(info.driver, "tun") == 0;
}

}  // namespace

bool TapDevice::Exists(const std::string& name) {
  if (!CheckName(name).ok() || !InterfaceExists(name)) return false;
  return IsTunDriven(Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)), name);
}

StatusOr<std::vector<std::string>> TapDevice::List() {
  struct if_nameindex* const all = if_nameindex();
  if (all == nullptr) {
    return absl::InternalError(fmt::format("list interfaces: {}", ErrnoMessage(errno)));
  }
  const std::unique_ptr<struct if_nameindex, decltype(&if_freenameindex)> owned(all,
                                                                                &if_freenameindex);
  // One socket for every interface's question.
  const Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) {
    return absl::InternalError(fmt::format("list taps: socket: {}", ErrnoMessage(errno)));
  }
  std::vector<std::string> taps;
  for (const struct if_nameindex* it = all; it->if_index != 0; ++it) {
    if (IsTunDriven(sock, it->if_name)) taps.emplace_back(it->if_name);
  }
  return taps;
}

Status TapDevice::Create(const std::string& name) {
  HVAGENT_RETURN_IF_ERROR(CheckName(name));
  if (InterfaceExists(name) && !Exists(name)) {
    return absl::AlreadyExistsError(
        fmt::format("interface '{}' exists and is not a tap device", name));
  }
  // An existing tap is adopted as it is: a running QEMU holds it, and a
  // second attach would fail (EBUSY) or disturb it.
  if (!Exists(name)) {
    HVAGENT_ASSIGN_OR_RETURN(const int raw, OpenTap(name));
    Fd tap(raw);
    // Persistent: the device outlives this descriptor until Delete, so it can
    // be plugged into the switch before QEMU opens it.
    if (ioctl(tap.get(), TUNSETPERSIST, 1) < 0) return Errno("make persistent", name);
  }
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return Errno("read flags of", name);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) return Errno("set up", name);
  return absl::OkStatus();
}

Status TapDevice::Delete(const std::string& name) {
  HVAGENT_RETURN_IF_ERROR(CheckName(name));
  if (!Exists(name)) return absl::OkStatus();
  HVAGENT_ASSIGN_OR_RETURN(const int raw, OpenTap(name));
  Fd tap(raw);
  if (ioctl(tap.get(), TUNSETPERSIST, 0) < 0) return Errno("release", name);
  return absl::OkStatus();  // the device goes when the last descriptor closes
}

}  // namespace hvagent::network
