#include "hvagent/ovsdb/jsonrpc_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hvagent/common/errno_message.h"
#include "hvagent/ovsdb/socket_fd.h"

namespace hvagent::ovsdb {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

StatusOr<std::unique_ptr<JsonRpcConnection>> JsonRpcConnection::Connect(
    const std::string& endpoint, std::chrono::milliseconds timeout) {
  HVAGENT_ASSIGN_OR_RETURN(SocketFd fd, SocketFd::Connect(endpoint, timeout));
  return std::unique_ptr<JsonRpcConnection>(new JsonRpcConnection(fd.release()));
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
