#include "hvagent/network/netlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "hvagent/common/errno_message.h"

namespace hvagent::network {

namespace {

// Builds one rtnetlink request: header, fixed part, attributes (nested ones too).
class MessageBuilder {
 public:
  MessageBuilder(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    nlmsghdr hdr{};
    hdr.nlmsg_type = type;
    hdr.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    std::memcpy(buf_.data(), &hdr, sizeof(hdr));
  }

  template <typename T>
  MessageBuilder& Fixed(const T& part) {
    Put(&part, sizeof(part));
    return *this;
  }
  MessageBuilder& Attr(uint16_t type, const void* data, size_t len) {
    rtattr attr{};
    attr.rta_type = type;
    attr.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    Put(&attr, sizeof(attr));
    Put(data, len);
    return *this;
  }
  MessageBuilder& Attr(uint16_t type, const std::string& text) {
    return Attr(type, text.c_str(), text.size() + 1);
  }
  MessageBuilder& Attr(uint16_t type, uint32_t value) { return Attr(type, &value, sizeof(value)); }
  size_t BeginNested(uint16_t type) {
    const size_t offset = buf_.size();
    Attr(type, nullptr, 0);
    return offset;
  }
  void EndNested(size_t offset) {
    const auto len = static_cast<uint16_t>(buf_.size() - offset);
    std::memcpy(buf_.data() + offset + offsetof(rtattr, rta_len), &len, sizeof(len));
  }
  std::vector<char> Finish() {
    const auto len = static_cast<uint32_t>(buf_.size());
    std::memcpy(buf_.data() + offsetof(nlmsghdr, nlmsg_len), &len, sizeof(len));
    return std::move(buf_);
  }

 private:
  void Put(const void* data, size_t len) {
    const size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(len), 0);
    if (len > 0) std::memcpy(buf_.data() + at, data, len);
  }

  std::vector<char> buf_;
};

// The attributes following a fixed part of `fixed_len` bytes in a message.
std::vector<std::pair<uint16_t, std::string_view>> Attributes(const std::vector<char>& msg,
                                                              size_t fixed_len) {
  std::vector<std::pair<uint16_t, std::string_view>> out;
  size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(fixed_len);
  while (at + sizeof(rtattr) <= msg.size()) {
    rtattr attr{};
    std::memcpy(&attr, msg.data() + at, sizeof(attr));
    if (attr.rta_len < sizeof(rtattr) || at + attr.rta_len > msg.size()) break;
    out.emplace_back(
        attr.rta_type & NLA_TYPE_MASK,
        std::string_view(msg.data() + at + RTA_LENGTH(0), attr.rta_len - RTA_LENGTH(0)));
    at += RTA_ALIGN(attr.rta_len);
  }
  return out;
}

// Nested attributes inside one attribute's payload.
std::vector<std::pair<uint16_t, std::string_view>> Nested(std::string_view payload) {
  std::vector<std::pair<uint16_t, std::string_view>> out;
  size_t at = 0;
  while (at + sizeof(rtattr) <= payload.size()) {
    rtattr attr{};
    std::memcpy(&attr, payload.data() + at, sizeof(attr));
    if (attr.rta_len < sizeof(rtattr) || at + attr.rta_len > payload.size()) break;
    out.emplace_back(attr.rta_type & NLA_TYPE_MASK,
                     payload.substr(at + RTA_LENGTH(0), attr.rta_len - RTA_LENGTH(0)));
    at += RTA_ALIGN(attr.rta_len);
  }
  return out;
}

std::string CString(std::string_view payload) {
  return {payload.data(), strnlen(payload.data(), payload.size())};
}

uint32_t U32(std::string_view payload) {
  uint32_t v = 0;
  if (payload.size() >= sizeof(v)) std::memcpy(&v, payload.data(), sizeof(v));
  return v;
}

Status FromErrno(int err, const std::string& what) {
  absl::StatusCode code = absl::StatusCode::kInternal;
  switch (err) {
    case EEXIST: code = absl::StatusCode::kAlreadyExists; break;
    case ENODEV:
    case ENOENT: code = absl::StatusCode::kNotFound; break;
    case EPERM:
    case EACCES: code = absl::StatusCode::kPermissionDenied; break;
    case EBUSY:
    case EINVAL:
    case EOPNOTSUPP: code = absl::StatusCode::kFailedPrecondition; break;
    default: break;
  }
  return {code, fmt::format("{}: {}", what, ErrnoMessage(err))};
}

ifinfomsg LinkHeader(int index) {
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  return info;
}

}  // namespace

std::string Ipv4Prefix::AddressString() const {
  in_addr addr{htonl(address)};
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr, text, sizeof(text));
  return text;
}

std::string Ipv4Prefix::ToString() const {
  return fmt::format("{}/{}", AddressString(), prefix_len);
}

uint32_t Ipv4Prefix::Network() const {
  const uint32_t mask = prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
  return address & mask;
}

StatusOr<Ipv4Prefix> ParseIpv4Prefix(std::string_view field, std::string_view text) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(
        fmt::format("{}: '{}' must be an IPv4 address with a prefix length 0–32, e.g. "
                    "192.168.5.1/24",
                    field, text));
  };
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return invalid();
  const std::string addr(text.substr(0, slash));
  const std::string_view len = text.substr(slash + 1);
  in_addr parsed{};
  if (inet_pton(AF_INET, addr.c_str(), &parsed) != 1) return invalid();
  int prefix = -1;
  const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (len.empty() || ec != std::errc() || end != len.data() + len.size() || prefix < 0 ||
      prefix > 32) {
    return invalid();
  }
  return Ipv4Prefix{.address = ntohl(parsed.s_addr), .prefix_len = prefix};
}

StatusOr<NetlinkSocket> NetlinkSocket::Open() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return FromErrno(errno, "open an rtnetlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0) {
    Status error = FromErrno(errno, "bind an rtnetlink socket");
    close(fd);
    return error;
  }
  return NetlinkSocket(fd);
}

NetlinkSocket::~NetlinkSocket() {
  if (fd_ >= 0) close(fd_);
}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), sequence_(other.sequence_) {}

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    sequence_ = other.sequence_;
  }
  return *this;
}

StatusOr<std::vector<std::vector<char>>> NetlinkSocket::Dump(std::vector<char> message,
                                                             const std::string& what) {
  const uint32_t seq = ++sequence_;
  std::memcpy(message.data() + offsetof(nlmsghdr, nlmsg_seq), &seq, sizeof(seq));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0) {
    return FromErrno(errno, what);
  }
  std::vector<std::vector<char>> answers;
  std::vector<char> buf(size_t{64} * 1024);
  while (true) {
    const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(errno, what);
    }
    size_t at = 0;
    while (at + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
      nlmsghdr hdr{};
      std::memcpy(&hdr, buf.data() + at, sizeof(hdr));
      if (hdr.nlmsg_len < sizeof(nlmsghdr) || at + hdr.nlmsg_len > static_cast<size_t>(n)) break;
      const size_t this_at = at;
      at += NLMSG_ALIGN(hdr.nlmsg_len);
      if (hdr.nlmsg_seq != seq) continue;  // a stale answer to an earlier request
      if (hdr.nlmsg_type == NLMSG_DONE) return answers;
      if (hdr.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr err{};
        std::memcpy(&err, buf.data() + this_at + NLMSG_HDRLEN, sizeof(err));
        if (err.error != 0) return FromErrno(-err.error, what);
        return answers;  // the ACK
      }
      answers.emplace_back(buf.data() + this_at, buf.data() + this_at + hdr.nlmsg_len);
    }
  }
}

Status NetlinkSocket::Request(std::vector<char> message, const std::string& what) {
  uint16_t flags = 0;
  std::memcpy(&flags, message.data() + offsetof(nlmsghdr, nlmsg_flags), sizeof(flags));
  flags |= NLM_F_ACK;
  std::memcpy(message.data() + offsetof(nlmsghdr, nlmsg_flags), &flags, sizeof(flags));
  return Dump(std::move(message), what).status();
}

StatusOr<int> NetlinkSocket::IndexOf(const std::string& name) {
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return absl::NotFoundError(fmt::format("no interface '{}'", name));
  return static_cast<int>(index);
}

StatusOr<std::string> NetlinkSocket::LinkKind(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  HVAGENT_ASSIGN_OR_RETURN(
      const auto answers,
      Dump(MessageBuilder(RTM_GETLINK, NLM_F_ACK).Fixed(LinkHeader(index)).Finish(),
           fmt::format("read link '{}'", name)));
  for (const auto& msg : answers) {
    for (const auto& [type, payload] : Attributes(msg, sizeof(ifinfomsg))) {
      if (type != IFLA_LINKINFO) continue;
      for (const auto& [info_type, info] : Nested(payload)) {
        if (info_type == IFLA_INFO_KIND) return CString(info);
      }
    }
  }
  return std::string();
}

Status NetlinkSocket::CreateBridge(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        fmt::format("bridge name '{}' must be 1–{} characters", name, IFNAMSIZ - 1));
  }
  MessageBuilder msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  msg.Fixed(LinkHeader(0)).Attr(IFLA_IFNAME, name);
  const size_t info = msg.BeginNested(IFLA_LINKINFO);
  msg.Attr(IFLA_INFO_KIND, std::string("bridge"));
  msg.EndNested(info);
  return Request(msg.Finish(), fmt::format("create bridge '{}'", name));
}

Status NetlinkSocket::DeleteLink(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  return Request(MessageBuilder(RTM_DELLINK, 0).Fixed(LinkHeader(index)).Finish(),
                 fmt::format("delete link '{}'", name));
}

Status NetlinkSocket::SetUp(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  ifinfomsg info = LinkHeader(index);
  info.ifi_flags = IFF_UP;
  info.ifi_change = IFF_UP;
  return Request(MessageBuilder(RTM_NEWLINK, 0).Fixed(info).Finish(),
                 fmt::format("set link '{}' up", name));
}

Status NetlinkSocket::SetMaster(const std::string& name, const std::string& master) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  HVAGENT_ASSIGN_OR_RETURN(const int master_index, IndexOf(master));
  return Request(MessageBuilder(RTM_NEWLINK, 0)
                     .Fixed(LinkHeader(index))
                     .Attr(IFLA_MASTER, static_cast<uint32_t>(master_index))
                     .Finish(),
                 fmt::format("attach '{}' to '{}'", name, master));
}

StatusOr<std::vector<std::string>> NetlinkSocket::LinksWithMaster(const std::string& master) {
  HVAGENT_ASSIGN_OR_RETURN(const int master_index, IndexOf(master));
  HVAGENT_ASSIGN_OR_RETURN(
      const auto answers,
      Dump(MessageBuilder(RTM_GETLINK, NLM_F_DUMP).Fixed(LinkHeader(0)).Finish(), "list links"));
  std::vector<std::string> out;
  for (const auto& msg : answers) {
    std::string name;
    uint32_t link_master = 0;
    for (const auto& [type, payload] : Attributes(msg, sizeof(ifinfomsg))) {
      if (type == IFLA_IFNAME) name = CString(payload);
      if (type == IFLA_MASTER) link_master = U32(payload);
    }
    if (link_master == static_cast<uint32_t>(master_index)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status NetlinkSocket::AddIpv4Address(const std::string& name, const Ipv4Prefix& prefix) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  ifaddrmsg addr{};
  addr.ifa_family = AF_INET;
  addr.ifa_prefixlen = static_cast<unsigned char>(prefix.prefix_len);
  addr.ifa_scope = RT_SCOPE_UNIVERSE;
  addr.ifa_index = static_cast<uint32_t>(index);
  const uint32_t wire = htonl(prefix.address);
  return Request(MessageBuilder(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE)
                     .Fixed(addr)
                     .Attr(IFA_LOCAL, wire)
                     .Attr(IFA_ADDRESS, wire)
                     .Finish(),
                 fmt::format("add address {} to '{}'", prefix.ToString(), name));
}

StatusOr<std::vector<Ipv4Prefix>> NetlinkSocket::Ipv4Addresses(const std::string& name) {
  HVAGENT_ASSIGN_OR_RETURN(const int index, IndexOf(name));
  ifaddrmsg request{};
  request.ifa_family = AF_INET;
  HVAGENT_ASSIGN_OR_RETURN(const auto answers,
                           Dump(MessageBuilder(RTM_GETADDR, NLM_F_DUMP).Fixed(request).Finish(),
                                fmt::format("list addresses of '{}'", name)));
  std::vector<Ipv4Prefix> out;
  for (const auto& msg : answers) {
    ifaddrmsg addr{};
    std::memcpy(&addr, msg.data() + NLMSG_HDRLEN, sizeof(addr));
    if (addr.ifa_index != static_cast<uint32_t>(index) || addr.ifa_family != AF_INET) continue;
    for (const auto& [type, payload] : Attributes(msg, sizeof(ifaddrmsg))) {
      if (type == IFA_LOCAL) {
        out.push_back({.address = ntohl(U32(payload)), .prefix_len = addr.ifa_prefixlen});
      }
    }
  }
  return out;
}

}  // namespace hvagent::network
