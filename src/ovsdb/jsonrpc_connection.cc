#include "hvagent/ovsdb/jsonrpc_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hvagent/common/errno_message.h"

namespace hvagent::ovsdb {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Connects a non-blocking socket within the deadline.
StatusOr<int> ConnectSocket(int family, const sockaddr* addr, socklen_t len,
                            const std::string& endpoint, Clock::time_point deadline) {
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return absl::UnavailableError(fmt::format("socket for {}: {}", endpoint, ErrnoMessage(errno)));
  }
  if (connect(fd, addr, len) != 0 && errno != EINPROGRESS) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(fmt::format("connect to {}: {}", endpoint, ErrnoMessage(err)));
  }
  pollfd pfd{fd, POLLOUT, 0};
  if (poll(&pfd, 1, MillisLeft(deadline)) != 1) {
    close(fd);
    return absl::UnavailableError(fmt::format("connect to {}: timed out", endpoint));
  }
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    close(fd);
    return absl::UnavailableError(fmt::format("connect to {}: {}", endpoint, ErrnoMessage(err)));
  }
  return fd;
}

}  // namespace

StatusOr<std::unique_ptr<JsonRpcConnection>> JsonRpcConnection::Connect(
    const std::string& endpoint, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int fd = -1;
  if (endpoint.starts_with("unix:")) {
    const std::string path = endpoint.substr(5);
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      return absl::InvalidArgumentError(
          fmt::format("ovsdb endpoint '{}': the socket path must be 1–107 bytes", endpoint));
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    HVAGENT_ASSIGN_OR_RETURN(fd, ConnectSocket(AF_UNIX, reinterpret_cast<sockaddr*>(&addr),
                                               sizeof(addr), endpoint, deadline));
  } else if (endpoint.starts_with("tcp:")) {
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
    HVAGENT_ASSIGN_OR_RETURN(
        fd, ConnectSocket(found->ai_family, found->ai_addr, found->ai_addrlen, endpoint, deadline));
  } else {
    return absl::InvalidArgumentError(
        fmt::format("ovsdb endpoint '{}' must start with unix: or tcp:", endpoint));
  }
  return std::unique_ptr<JsonRpcConnection>(new JsonRpcConnection(fd));
}

JsonRpcConnection::~JsonRpcConnection() {
  if (fd_ >= 0) close(fd_);
}

bool JsonRpcConnection::dead() const {
  std::lock_guard lock(mu_);
  return dead_;
}

Status JsonRpcConnection::FailLocked(Status status) {
  dead_ = true;
  return status;
}

Status JsonRpcConnection::SendLocked(const nlohmann::json& message, Clock::time_point deadline) {
  const std::string text = message.dump();
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return FailLocked(absl::UnavailableError(fmt::format("ovsdb send: {}", ErrnoMessage(errno))));
    }
    pollfd pfd{fd_, POLLOUT, 0};
    if (poll(&pfd, 1, MillisLeft(deadline)) != 1) {
      return FailLocked(absl::UnavailableError("ovsdb send: timed out"));
    }
  }
  return absl::OkStatus();
}

StatusOr<nlohmann::json> JsonRpcConnection::ReceiveLocked(Clock::time_point deadline) {
  while (true) {
    // ovsdb-server sends one JSON object per message with no framing: find
    // where the first complete value ends by tracking braces outside strings.
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (size_t i = 0; i < buffer_.size(); ++i) {
      const char c = buffer_[i];
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        nlohmann::json value = nlohmann::json::parse(
            buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(i + 1), nullptr,
            /*allow_exceptions=*/false);
        buffer_.erase(0, i + 1);
        if (value.is_discarded()) {
          return FailLocked(absl::InternalError("ovsdb sent malformed JSON"));
        }
        return value;
      }
    }
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, MillisLeft(deadline)) != 1) {
      return FailLocked(absl::UnavailableError("ovsdb reply: timed out"));
    }
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) {
      return FailLocked(absl::UnavailableError("ovsdb closed the connection"));
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return FailLocked(absl::UnavailableError(fmt::format("ovsdb recv: {}", ErrnoMessage(errno))));
    }
    if (n > 0) buffer_.append(chunk, static_cast<size_t>(n));
  }
}

StatusOr<nlohmann::json> JsonRpcConnection::Call(const std::string& method,
                                                 const nlohmann::json& params,
                                                 std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  if (dead_) {
    return absl::UnavailableError("ovsdb connection is closed");
  }
  const auto deadline = Clock::now() + timeout;
  const uint64_t id = next_id_++;
  HVAGENT_RETURN_IF_ERROR(
      SendLocked({{"method", method}, {"params", params}, {"id", id}}, deadline));
  while (true) {
    HVAGENT_ASSIGN_OR_RETURN(nlohmann::json message, ReceiveLocked(deadline));
    if (message.contains("method")) {
      // A request from the server: only "echo" (keep-alive) is expected here.
      if (message["method"] == "echo") {
        HVAGENT_RETURN_IF_ERROR(
            SendLocked({{"result", message.value("params", nlohmann::json::array())},
                        {"error", nullptr},
                        {"id", message.value("id", nlohmann::json())}},
                       deadline));
      }
      continue;
    }
    if (!message.contains("id") || message["id"] != id) {
      continue;  // a stale reply to a call that timed out earlier
    }
    if (message.contains("error") && !message["error"].is_null()) {
      return absl::InternalError(
          fmt::format("ovsdb {} failed: {}", method, message["error"].dump()));
    }
    return message.value("result", nlohmann::json());
  }
}

}  // namespace hvagent::ovsdb
