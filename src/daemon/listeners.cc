#include "hvagent/daemon/listeners.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmt/format.h"

namespace hvagent::daemon {

namespace {

StatusOr<std::string> ReadPem(const char* key, const std::string& path) {
  std::error_code ec;
  std::ifstream in(path);
  if (!in || !std::filesystem::is_regular_file(path, ec)) {
    return absl::FailedPreconditionError(fmt::format("{}: cannot read '{}'", key, path));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::FailedPreconditionError(fmt::format("{}: '{}' is not a PEM file", key, path));
  }
  return text.str();
}

// True when something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

}  // namespace

StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(const Config& config) {
  HVAGENT_ASSIGN_OR_RETURN(std::string cert, ReadPem("api.tls_cert", config.tls_cert));
  HVAGENT_ASSIGN_OR_RETURN(std::string key, ReadPem("api.tls_key", config.tls_key));
  HVAGENT_ASSIGN_OR_RETURN(std::string ca, ReadPem("api.tls_client_ca", config.tls_client_ca));
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = std::move(ca);
  options.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
  return grpc::SslServerCredentials(options);
}

StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const Config& config) {
  HVAGENT_ASSIGN_OR_RETURN(std::string cert, ReadPem("api.tls_cert", config.tls_cert));
  HVAGENT_ASSIGN_OR_RETURN(std::string key, ReadPem("api.tls_key", config.tls_key));
  HVAGENT_ASSIGN_OR_RETURN(std::string ca, ReadPem("api.tls_client_ca", config.tls_client_ca));
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = std::move(ca);
  options.pem_private_key = std::move(key);
  options.pem_cert_chain = std::move(cert);
  return grpc::SslCredentials(options);
}

Status PrepareUnixSocket(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return absl::FailedPreconditionError(
        fmt::format("cannot create the directory of api.unix_socket '{}': {}", path, ec.message()));
  }
  if (std::filesystem::exists(path, ec)) {
    if (SocketIsLive(path)) {
      return absl::AlreadyExistsError(
          fmt::format("another process already serves api.unix_socket '{}'", path));
    }
    std::filesystem::remove(path, ec);
  }
  return absl::OkStatus();
}

}  // namespace hvagent::daemon
