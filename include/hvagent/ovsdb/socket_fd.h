// A connected, non-blocking stream socket to ovsdb-server, owned from the
// moment it exists; and how an endpoint string ("unix:PATH", "tcp:HOST:PORT")
// becomes one.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

class SocketFd {
 public:
  SocketFd() = default;
  explicit SocketFd(int fd) : fd_(fd) {}
  ~SocketFd();
  SocketFd(SocketFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  SocketFd& operator=(SocketFd&& other) noexcept;
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

  // UNAVAILABLE when nothing accepts the connection within `timeout`;
  // INVALID_ARGUMENT for a malformed endpoint.
  static StatusOr<SocketFd> Connect(const std::string& endpoint, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace hvagent::ovsdb
