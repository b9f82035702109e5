// What a command's run function gets: its parsed arguments, the channel to the
// agent, the output, and helpers for calls (deadline, Ctrl-C, request ids).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "hvagent/cli/command_line.h"
#include "hvagent/cli/output.h"

namespace hvagent::cli {

struct ClientOptions {
  // "unix:/path" or "HOST:PORT" (TCP: mutual TLS, so the three files are needed).
  std::string endpoint = "unix:/run/hvagent/hvagent.sock";
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // Seconds each call may take (a shutdown's own timeout is added to it).
  int timeout_seconds = 60;
  // When set, every mutating call of this run uses it (a retry of a whole
  // command); otherwise each call gets a fresh one.
  std::string request_id;
};

// The endpoint to use when none is given: $HVCTL_ENDPOINT, else the agent's
// default unix socket.
std::string DefaultEndpoint();

// A channel to the agent: plain on a unix socket, mutual TLS over TCP.
StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options);

class Invocation {
 public:
  using ChannelFactory = std::function<StatusOr<std::shared_ptr<grpc::Channel>>()>;

  Invocation(const ParsedCommand& args, const ClientOptions& options, ChannelFactory channel,
             Output& out)
      : args_(args), options_(options), channel_factory_(std::move(channel)), out_(out) {}

  const ParsedCommand& args() const { return args_; }
  const std::string& positional(size_t i) const { return args_.positionals.at(i); }
  Output& out() { return out_; }
  const ClientOptions& options() const { return options_; }

  // The channel, made on first use (help and parse errors never connect).
  StatusOr<std::shared_ptr<grpc::Channel>> channel();
  // A request id for one mutating call: "hvctl-<uuid>", or --request-id.
  std::string NewRequestId() const;

  // Runs one unary call with the deadline (plus `extra_seconds`); Ctrl-C
  // cancels it. Returns the exit code after printing any error.
  template <typename Stub, typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response, int extra_seconds = 0) {
    StatusOr<std::shared_ptr<grpc::Channel>> ch = channel();
    if (!ch.ok()) return {grpc::StatusCode::INVALID_ARGUMENT, MessageOf(ch.status())};
    Stub stub(*ch);
    grpc::ClientContext context;
    return Guarded(&context, extra_seconds,
                   [&] { return (stub.*method)(&context, request, response); });
  }

  // Prints "hvctl: <command line>: CODE: message" and returns the exit code.
  int Fail(const grpc::Status& status);
  // Prints a usage problem found after parsing (e.g. two keys that exclude
  // each other) and returns kExitUsage.
  int UsageError(const std::string& message);

  // Sets the deadline, cancels `context` on SIGINT while `call` runs.
  grpc::Status Guarded(grpc::ClientContext* context, int extra_seconds,
                       const std::function<grpc::Status()>& call);

 private:
  const ParsedCommand& args_;
  const ClientOptions& options_;
  ChannelFactory channel_factory_;
  std::shared_ptr<grpc::Channel> channel_;
  Output& out_;
};

}  // namespace hvagent::cli
