// Who may change the host. On the mutual-TLS endpoint a client whose
// certificate names one of the read-only identities (its subject CN, or one
// of its subject alternative names) may only read: every change answers
// PERMISSION_DENIED. Every other client the client CA signed may change, as
// may the local unix socket (mode 0600: root only), whose callers present no
// certificate. Checked once, in RpcRunner::Change, which every mutating
// handler goes through.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/server_context.h>

#include "hvagent/common/status.h"

namespace hvagent::api {

// What the transport proved about a caller.
struct PeerIdentity {
  // False on the unix socket (no TLS), true for a verified client certificate.
  bool authenticated = false;
  // The certificate's subject CN and subject alternative names.
  std::vector<std::string> names;
};

// The identity gRPC's TLS layer verified for the call's peer.
PeerIdentity IdentityOf(const grpc::ServerContextBase& context);

class AccessPolicy {
 public:
  AccessPolicy() = default;
  explicit AccessPolicy(const std::vector<std::string>& read_only_identities)
      : read_only_(read_only_identities.begin(), read_only_identities.end()) {}

  // PERMISSION_DENIED naming the method and the identity when `peer` may
  // only read.
  Status CheckChange(const PeerIdentity& peer, std::string_view method_path) const;

 private:
  std::set<std::string, std::less<>> read_only_;
};

}  // namespace hvagent::api
