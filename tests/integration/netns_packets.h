// What the network tests see on the wire: sockets opened inside a test
// namespace (a socket stays bound to the namespace it was made in) and raw
// AF_PACKET frame counting, instead of tcpdump.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

namespace hvagent::testing {

// Runs `make` with the calling thread inside the named namespace
// (/run/netns/<ns>) and switches back; returns what `make` returned.
inline int InNetns(const std::string& ns, const std::function<int()>& make) {
  const int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  int result = -1;
  if (self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0) {
    result = make();
    setns(self, CLONE_NEWNET);
  }
  if (target >= 0) close(target);
  if (self >= 0) close(self);
  return result;
}

struct Ipv4Frame {
  uint32_t src = 0;  // host byte order
  uint32_t dst = 0;
  uint8_t protocol = 0;
  uint8_t icmp_type = 0;  // for ICMP
  std::string src_mac;    // "52:54:00:…", lowercase
  size_t length = 0;      // the whole frame (several datagrams if GRO merged them)
};

inline uint32_t Ipv4(const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  return ntohl(a.s_addr);
}

// Frames arriving at (not sent by) an interface in a namespace.
class FrameCounter {
 public:
  FrameCounter(const std::string& ns, const std::string& ifname) {
    fd_ = InNetns(ns, [&] {
      const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
      if (fd < 0) return -1;
      const int size = 16 << 20;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
      sockaddr_ll addr{};
      addr.sll_family = AF_PACKET;
      addr.sll_protocol = htons(ETH_P_ALL);
      addr.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
      if (addr.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
        close(fd);
        return -1;
      }
      return fd;
    });
  }
  ~FrameCounter() {
    if (fd_ >= 0) close(fd_);
  }
  FrameCounter(const FrameCounter&) = delete;
  FrameCounter& operator=(const FrameCounter&) = delete;

  bool ok() const { return fd_ >= 0; }

  // Reads what is queued now, waiting up to `wait_ms` for the first frame;
  // calls `on` for each IPv4 frame. Returns how many frames were read.
  int Read(const std::function<void(const Ipv4Frame&)>& on, int wait_ms) {
    int frames = 0;
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    if (poll(&p, 1, wait_ms) <= 0) return 0;
    unsigned char buf[2048];
    while (true) {
      sockaddr_ll from{};
      socklen_t len = sizeof(from);
      // MSG_TRUNC: the frame's real length, even when GRO merged several
      // datagrams into one frame larger than the buffer.
      const ssize_t n =
          recvfrom(fd_, buf, sizeof(buf), MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) break;
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      ++frames;
      const size_t got = std::min(static_cast<size_t>(n), sizeof(buf));
      if (got < 14 + 20 || buf[12] != 0x08 || buf[13] != 0x00) continue;
      Ipv4Frame f;
      f.length = static_cast<size_t>(n);
      char mac[18];
      std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", buf[6], buf[7], buf[8],
                    buf[9], buf[10], buf[11]);
      f.src_mac = mac;
      f.protocol = buf[14 + 9];
      uint32_t a = 0;
      std::memcpy(&a, buf + 14 + 12, 4);
      f.src = ntohl(a);
      std::memcpy(&a, buf + 14 + 16, 4);
      f.dst = ntohl(a);
      const size_t ihl = (buf[14] & 0x0f) * 4u;
      if (f.protocol == IPPROTO_ICMP && static_cast<size_t>(n) > 14 + ihl)
        f.icmp_type = buf[14 + ihl];
      on(f);
    }
    return frames;
  }

 private:
  int fd_ = -1;
};

}  // namespace hvagent::testing
