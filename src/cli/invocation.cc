#include "hvagent/cli/invocation.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hvagent/cli/interrupt_watcher.h"
#include "hvagent/common/uuid.h"

namespace hvagent::cli {
namespace {

StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(fmt::format("{}: cannot read '{}'", flag, path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string CodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const auto index = static_cast<size_t>(code);
  return index < std::size(kNames) ? kNames[index] : std::to_string(index);
}

}  // namespace

std::string DefaultEndpoint() {
  // Read once at start-up, before any thread exists.
  const char* env = std::getenv("HVCTL_ENDPOINT");  // NOLINT(concurrency-mt-unsafe)
  return env != nullptr && *env != '\0' ? env : "unix:/run/hvagent/hvagent.sock";
}

StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options) {
  if (options.endpoint.empty()) return absl::InvalidArgumentError("--endpoint: empty");
  const bool any_tls =
      !options.tls_ca.empty() || !options.tls_cert.empty() || !options.tls_key.empty();
  if (options.endpoint.starts_with("unix:")) {
    if (any_tls) {
      return absl::InvalidArgumentError(
          "--tls-ca/--tls-cert/--tls-key are for a TCP endpoint; the unix socket has no TLS");
    }
    return grpc::CreateChannel(options.endpoint, grpc::InsecureChannelCredentials());
  }
  // The agent's TCP endpoint is mutual TLS only: a plaintext attempt could
  // only fail later with a vaguer error.
  if (options.tls_ca.empty() || options.tls_cert.empty() || options.tls_key.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "--endpoint {}: a TCP endpoint needs --tls-ca, --tls-cert and --tls-key (mutual TLS)",
        options.endpoint));
  }
  grpc::SslCredentialsOptions ssl;
  HVAGENT_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem("--tls-ca", options.tls_ca));
  HVAGENT_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem("--tls-cert", options.tls_cert));
  HVAGENT_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem("--tls-key", options.tls_key));
  return grpc::CreateChannel(options.endpoint, grpc::SslCredentials(ssl));
}

StatusOr<std::shared_ptr<grpc::Channel>> Invocation::channel() {
  if (channel_ == nullptr) {
    HVAGENT_ASSIGN_OR_RETURN(channel_, channel_factory_());
  }
  return channel_;
}

std::string Invocation::NewRequestId() const {
  return options_.request_id.empty() ? "hvctl-" + NewUuid() : options_.request_id;
}

int Invocation::Fail(const grpc::Status& status) {
  std::string line = args_.spec->name;
  for (const std::string& p : args_.positionals) line += " " + p;
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    out_.err() << "hvctl: " << line << ": interrupted\n";
    return 130;
  }
  std::string message = status.error_message();
  std::replace(message.begin(), message.end(), '\n', ' ');
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message += fmt::format(" (is hvagentd serving {}?)", options_.endpoint);
  }
  out_.err() << "hvctl: " << line << ": " << CodeName(status.error_code()) << ": " << message
             << "\n";
  return kExitServerError;
}

int Invocation::UsageError(const std::string& message) {
  out_.err() << "hvctl: " << args_.spec->name << ": " << message << "\n";
  return kExitUsage;
}

grpc::Status Invocation::Guarded(grpc::ClientContext* context, int extra_seconds,
                                 const std::function<grpc::Status()>& call) {
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(options_.timeout_seconds + extra_seconds));
  const InterruptWatcher watcher([context] { context->TryCancel(); });
  return call();
}

}  // namespace hvagent::cli
