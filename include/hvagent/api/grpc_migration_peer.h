// compute::MigrationPeer over gRPC: the source agent's client of the
// destination agent's MigrationPeerService.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "hvagent/compute/migration_peer.h"

namespace hvagent::api {

// Connects to the agent at `endpoint`: "unix:PATH" without credentials (the
// socket's permissions are its access control), else HOST:PORT with
// `tls` (mutual TLS, the agent's own certificate as the client's); without
// `tls` a TCP endpoint is FAILED_PRECONDITION.
compute::MigrationPeerConnector GrpcMigrationPeerConnector(
    std::shared_ptr<grpc::ChannelCredentials> tls);

}  // namespace hvagent::api
