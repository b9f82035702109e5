// One JSON-RPC 1.0 connection to ovsdb-server (RFC 7047 §4) over a unix or TCP
// socket, used synchronously: Call sends a request and waits for its reply,
// answering the server's "echo" keep-alives meanwhile.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"

namespace hvagent::ovsdb {

class JsonRpcConnection {
 public:
  // `endpoint` is "unix:/path" or "tcp:host:port". UNAVAILABLE when nothing
  // accepts the connection; INVALID_ARGUMENT for a malformed endpoint.
  static StatusOr<std::unique_ptr<JsonRpcConnection>> Connect(const std::string& endpoint,
                                                              std::chrono::milliseconds timeout);
  ~JsonRpcConnection();
  JsonRpcConnection(const JsonRpcConnection&) = delete;
  JsonRpcConnection& operator=(const JsonRpcConnection&) = delete;

  // Sends {"method", "params", "id"} and returns the reply's "result". A reply
  // with a non-null "error" is returned as an error Status carrying it; a
  // broken connection or timeout is UNAVAILABLE and the connection is dead.
  StatusOr<nlohmann::json> Call(const std::string& method, const nlohmann::json& params,
                                std::chrono::milliseconds timeout);

  bool dead() const;

 private:
  explicit JsonRpcConnection(int fd) : fd_(fd) {}
  Status SendLocked(const nlohmann::json& message, std::chrono::steady_clock::time_point deadline);
  // Reads until one complete JSON value is buffered and returns it.
  StatusOr<nlohmann::json> ReceiveLocked(std::chrono::steady_clock::time_point deadline);
  Status FailLocked(Status status);

  mutable std::mutex mu_;
  int fd_;
  bool dead_ = false;
  uint64_t next_id_ = 1;
  std::string buffer_;  // bytes received but not yet parsed
};

}  // namespace hvagent::ovsdb
