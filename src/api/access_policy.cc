#include "hvagent/api/access_policy.h"

#include "fmt/format.h"

namespace hvagent::api {

PeerIdentity IdentityOf(const grpc::ServerContextBase& context) {
  PeerIdentity peer;
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return peer;
  peer.authenticated = true;
  for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      peer.names.emplace_back(value.data(), value.size());
    }
  }
  return peer;
}

Status AccessPolicy::CheckChange(const PeerIdentity& peer, std::string_view method_path) const {
  if (!peer.authenticated) return absl::OkStatus();
  for (const std::string& name : peer.names) {
    if (read_only_.contains(name)) {
      return absl::PermissionDeniedError(fmt::format(
          "{}: client '{}' has the read-only role (api.read_only_identities)", method_path, name));
    }
  }
  return absl::OkStatus();
}

}  // namespace hvagent::api
