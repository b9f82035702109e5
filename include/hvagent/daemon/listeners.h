// The gRPC endpoints' preconditions, checked before anything changes on disk:
// the TCP endpoint's mutual-TLS material and the unix socket's path.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include "hvagent/common/status.h"
#include "hvagent/daemon/config.h"

namespace hvagent::daemon {

// Mutual TLS: the client must present a certificate signed by
// api.tls_client_ca. FAILED_PRECONDITION naming the key whose file is
// unreadable or not PEM.
StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(const Config& config);

// The agent as a client of another agent (a migration's destination) over
// TCP: its own certificate and key, and api.tls_client_ca as the CA the
// other agent's certificate must be signed by.
StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const Config& config);

// Makes the socket's directory and removes a stale socket a previous run left;
// refuses (ALREADY_EXISTS) to steal the socket of a daemon that still runs.
Status PrepareUnixSocket(const std::string& path);

}  // namespace hvagent::daemon
