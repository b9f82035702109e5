#include "hvagent/ovsdb/socket_fd.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "hvagent/common/errno_message.h"

namespace hvagent::ovsdb {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Connects a non-blocking socket within the deadline.
StatusOr<SocketFd> ConnectSocket(int family, const sockaddr* addr, socklen_t len,
                                 const std::string& endpoint, Clock::time_point deadline) {
  SocketFd fd(socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return absl::UnavailableError(fmt::format("socket for {}: {}", endpoint, ErrnoMessage(errno)));
  }
  if (connect(fd.get(), addr, len) != 0 && errno != EINPROGRESS) {
    return absl::UnavailableError(fmt::format("connect to {}: {}", endpoint, ErrnoMessage(errno)));
  }
  pollfd pfd{fd.get(), POLLOUT, 0};
  if (poll(&pfd, 1, MillisLeft(deadline)) != 1) {
    return absl::UnavailableError(fmt::format("connect to {}: timed out", endpoint));
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    return absl::UnavailableError(fmt::format("connect to {}: {}", endpoint, ErrnoMessage(err)));
  }
  return fd;
}

}  // namespace

SocketFd::~SocketFd() {
  if (fd_ >= 0) close(fd_);
}

SocketFd& SocketFd::operator=(SocketFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

StatusOr<SocketFd> SocketFd::Connect(const std::string& endpoint,
                                     std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (endpoint.starts_with("unix:")) {
    const std::string path = endpoint.substr(5);
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError(
          fmt::format("ovsdb endpoint '{}': the socket path must be 1–107 bytes", endpoint));
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    return ConnectSocket(AF_UNIX, reinterpret_cast<sockaddr*>(&addr), sizeof(addr), endpoint,
                         deadline);
  }
  if (endpoint.starts_with("tcp:")) {
    const std::string rest = endpoint.substr(4);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      return absl::InvalidArgumentError(
          fmt::format("ovsdb endpoint '{}' must be tcp:HOST:PORT", endpoint));
    }
    std::string host = rest.substr(0, colon);
    if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), rest.substr(colon + 1).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return absl::UnavailableError(fmt::format("ovsdb endpoint '{}': cannot resolve", endpoint));
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
    return ConnectSocket(found->ai_family, found->ai_addr, found->ai_addrlen, endpoint, deadline);
  }
  return absl::InvalidArgumentError(
      fmt::format("ovsdb endpoint '{}' must start with unix: or tcp:", endpoint));
}

}  // namespace hvagent::ovsdb
